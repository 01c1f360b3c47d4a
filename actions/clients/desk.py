"""Client of the desk's internal API (services/desk, docs/desk.md): the live hand-over.

Used by the actions (is a desk staffed now, join its queue) and by the Rasa server
(bot/desk_relay.py: a paused conversation's messages, the citizen leaving, forget-me).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from actions.clients.base import ServiceClient, breaker_for
from actions.clients.errors import ServiceUnavailable
from bot.settings import settings

# The channels that can show an advisor's message: the live chat is offered there only.
LIVE_CHANNELS = ("socketio", "whatsapp")
CLOSED = "rejected with HTTP 409"  # the desk closed, or its last advisor signed out


class DeskClient(ServiceClient):
    service = "desk"

    def __init__(self, base_url: str, token: str, **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        self.session.headers["Authorization"] = f"Bearer {token}"

    @classmethod
    def from_settings(cls) -> DeskClient:
        config = settings()
        return cls(config.desk_url, config.desk_service_token, breaker=breaker_for(cls.service))

    def availability(self, topic: str | None) -> dict[str, Any]:
        """{"available": bool, "desk": {id, name, phone}, "position", "expected_wait_minutes"}."""
        return self.request_json("POST", "/desk/internal/availability", json={"topic": topic})

    def start(
        self,
        sender_id: str,
        channel: str,
        desk: str,
        language: str,
        transcript: list[tuple[str, str, datetime | None]],
    ) -> dict[str, Any] | None:
        """Join the desk's queue; None when the desk closed in the meantime."""
        body = {
            "conversation": sender_id,
            "channel": channel,
            "desk": desk,
            "language": language,
            "transcript": [
                {"from": sender, "text": text, **({"at": at.isoformat()} if at else {})}
                for sender, text, at in transcript
            ],
        }
        try:
            return self.request_json("POST", "/desk/internal/handovers", json=body)
        except ServiceUnavailable as exc:
            if exc.reason == CLOSED:
                return None
            raise

    def citizen_message(self, sender_id: str, text: str) -> dict[str, Any] | None:
        """The citizen wrote while handed over; None when the desk has no open hand-over."""
        return self.request_json(
            "POST",
            "/desk/internal/citizen-message",
            missing_ok=True,
            json={"conversation": sender_id, "text": text},
        )

    def presence(self, sender_id: str, present: bool) -> None:
        body = {"conversation": sender_id, "present": present}
        self.request_json("POST", "/desk/internal/presence", json=body)

    def leave(self, sender_id: str) -> None:
        self.request_json("POST", "/desk/internal/leave", json={"conversation": sender_id})

    def forget(self, sender_id: str) -> int:
        found = self.request_json("POST", "/desk/internal/forget", json={"conversation": sender_id})
        return int(found.get("deleted", 0))
