"""Custom actions: thin glue from the dialogue to the services, one module per capability."""
