"""Errors shared by the service clients."""


class ServiceUnavailable(Exception):
    """A service did not answer in time, refused the request or answered with an error."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service} unavailable: {reason}")
        self.service = service
        self.reason = reason
