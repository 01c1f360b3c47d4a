-- Databases next to `tracker` (POSTGRES_DB): call-back requests, catalog, WhatsApp state.
CREATE DATABASE callbacks;
CREATE DATABASE catalog;
CREATE DATABASE whatsapp;
