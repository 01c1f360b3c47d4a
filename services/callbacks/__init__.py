"""Call-back requests: citizens who asked to be called by a person.

A small durable store (SQLite by default, PostgreSQL when configured) written by the action
server, with a command line for staff: `python -m services.callbacks list|purge`. Each request
is linked to its conversation (`sender_key`): "wis mijn gegevens" deletes it with the
conversation (bot/tracker_store.py).
"""

from services.callbacks.store import CallbackRequest, CallbackStore

__all__ = ["CallbackRequest", "CallbackStore"]
