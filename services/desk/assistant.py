"""The desk's one client of the assistant: its relay endpoint (bot/channels/desk.py).

The desk tells the assistant what the citizen must see: an advisor joined, an advisor's
message, the conversation was handed back, nobody answered in time. The assistant writes it in
the citizen's language and sends it in the same widget, kiosk or WhatsApp thread, and resumes
the paused Rasa conversation when the hand-over ends. Behind nginx any Rasa server may take
the call: the pause is in the shared tracker store, and Socket.IO messages reach the server
that holds the socket through Redis.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests

logger = logging.getLogger(__name__)
KINDS = ("joined", "message", "handed_back", "unanswered")


@dataclass
class AssistantRelay:
    base_url: str
    token: str
    timeout: float = 5.0

    def send(self, handover: dict[str, Any], kind: str, **values: Any) -> bool:
        """True when the assistant took the message (it is then delivered or queued there)."""
        assert kind in KINDS
        body = {
            "conversation": handover["sender_id"],
            "channel": handover["channel"],
            "language": handover["language"],
            "kind": kind,
            **{k: v for k, v in values.items() if v is not None},
        }
        try:
            response = requests.post(
                f"{self.base_url.rstrip('/')}/webhooks/desk/relay",
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            logger.warning("Relay to the assistant failed: %s", type(exc).__name__)
            return False
        if response.status_code != 200:
            logger.warning(
                "The assistant refused a relayed %s: HTTP %s", kind, response.status_code
            )
            return False
        return True
