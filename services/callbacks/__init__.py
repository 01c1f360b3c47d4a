"""Call-back requests: citizens who asked to be called by a person.

A small durable store (SQLite by default, PostgreSQL when configured) used by the action
server, with a command line for staff: `python -m services.callbacks list|purge`.
"""

from services.callbacks.store import CallbackRequest, CallbackStore

__all__ = ["CallbackRequest", "CallbackStore"]
