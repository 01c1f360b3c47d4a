"""One HTTP client per external service. Clients raise `ServiceUnavailable` on any failure."""

from actions.clients.errors import ServiceUnavailable

__all__ = ["ServiceUnavailable"]
