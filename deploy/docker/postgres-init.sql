-- Databases next to `tracker` (POSTGRES_DB): call-back requests, catalog, WhatsApp state, the
-- desk, the insights' events and facts. Run only on an empty data volume: on an existing one, create a new database by hand
-- (docker compose exec postgres createdb -U leerwijzer desk).
CREATE DATABASE callbacks;
CREATE DATABASE catalog;
CREATE DATABASE whatsapp;
CREATE DATABASE desk;
CREATE DATABASE events;
CREATE DATABASE insights;
