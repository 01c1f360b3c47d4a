"""The one rule for the conversation ids that clients choose themselves.

The REST channel's `sender` and the Socket.IO channel's `session_id` become the Rasa sender
id: the key of the conversation in the tracker store, of the rate limit (bot/guard.py) and
of the rows the other stores keep for it. A client picks it, so it is checked before
anything uses it:

- a string (not a number, not null) of 1 to 128 characters;
- only ASCII letters, digits and `-_.:@+=`, which covers what real clients send: the widget
  and the kiosk 32 hex digits (web/widget/conversation.js `newSessionId`), UUIDs, e-mail
  addresses, `whatsapp:+316...`, `wa-<hex>` (bot/channels/whatsapp.py), `citizen-<hex>`;
- the first character a letter or digit, so an id is never `.` or `..` (a path segment in
  `/conversations/<id>/tracker`) and never starts like a spreadsheet formula (`=`, `+`,
  `-`, `@`).

No slashes, spaces, quotes, angle brackets or control characters; nothing that needs
escaping in a URL path, a log line or HTML.
"""

from __future__ import annotations

import re

MAX_SENDER_ID_CHARS = 128
SENDER_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.:@+=-]{{0,{MAX_SENDER_ID_CHARS - 1}}}")
SENDER_ID_RULE = (
    f"1 to {MAX_SENDER_ID_CHARS} characters of letters, digits and -_.:@+=, "
    "starting with a letter or digit"
)


def valid_sender_id(value: object) -> bool:
    """True for a string that follows the rule above; False for anything else."""
    return isinstance(value, str) and SENDER_ID.fullmatch(value) is not None
