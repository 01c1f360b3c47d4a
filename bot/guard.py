"""Per-sender rate limit and message-length cap, shared by every input channel.

Each channel asks `guard().check(channel, sender, text)` before a message reaches Rasa.
`None` means: let it through. Otherwise the answer is a short, friendly refusal that the
channel sends back instead of handing the message to Rasa:

- a message longer than MAX_MESSAGE_CHARS (2,000, the same cap as the website widget);
- more than RATE_LIMIT_MESSAGES messages from one sender within RATE_LIMIT_WINDOW_SECONDS
  (a moving window, keyed by channel and sender; the window is rounded up to whole seconds).

The counting is the `limits` library's moving-window strategy. Its storage is in memory,
so with several Rasa instances each instance counts on its own (a sender spread over N
instances may send up to N times the limit). When REDIS_URL is set the instances share one
counter in Redis, where `limits` checks and counts in one Lua script, so concurrent
messages cannot slip past the limit together; if Redis cannot be reached the guard falls
back to its in-memory counter rather than refusing everybody.

Hooking a channel in: make one guard when the channel is created (`self.guard = guard()`),
then per message, before `on_new_message`:

    refusal = self.guard.check(self.name(), sender_id, text, language)
    if refusal:
        ... send `refusal` to the sender the way the channel answers (socketio: emit the
        bot message event to the session), and do not call on_new_message

Sender ids are hashed before they are used as keys (a Twilio sender id is a phone number),
and nothing here logs a sender id or message text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

from actions.i18n import DEFAULT_LANGUAGE, LANGUAGES, strings
from bot.settings import MAX_MESSAGE_CHARS

logger = logging.getLogger(__name__)

REDIS_RETRY_SECONDS = 30.0  # how long to count in memory after Redis failed
KEY_NAMESPACE = "leerwijzer:ratelimit"  # first part of every counter key (in Redis too)

# What the citizen reads when a message is refused, by kind and language code: the `refusals`
# in `strings` of actions/locales/<code>.yml, one file per language of the `language` slot.
REFUSAL_KINDS = ("too_long", "rate_limited")
REFUSALS: dict[str, dict[str, str]] = {
    kind: {code: strings(code)["refusals"][kind] for code in LANGUAGES} for kind in REFUSAL_KINDS
}


def refusal_text(kind: str, language: str | None = None, max_chars: int = MAX_MESSAGE_CHARS) -> str:
    """The refusal of `kind` in `language`, Dutch when that language has no text."""
    texts = REFUSALS[kind]
    text = texts.get((language or DEFAULT_LANGUAGE).lower()[:2]) or texts[DEFAULT_LANGUAGE]
    return text.format(max_chars=max_chars)


# Rasa's syntax for a typed intent with entities, as Rasa reads it
# (YAMLStoryReader._regex_message_pattern): /intent@confidence{"entity": value}rest
PAYLOAD = re.compile(
    r"^/(?P<intent>[^{@]+)(?P<confidence>@[0-9.]+)?(?P<entities>{.+})?(?P<rest>.*)"
)


def _scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int | bool)


def safe_payload(text: str | None) -> str | None:
    """A typed `/intent{...}` with only plain entity values (text, number, true/false).

    Buttons send payloads like `/inform{"topic": "dutch"}`, and anyone can type one. An
    object, a list, null or NaN as an entity value would reach the forms' validation code
    as a slot value it cannot handle, so such entities are dropped here; the intent and
    the plain entities stay. Other text is returned unchanged.
    """
    if not text:
        return text
    stripped = text.strip()
    match = PAYLOAD.match(stripped) if stripped.startswith("/") else None
    if not match or not match.group("entities"):
        return text
    try:
        entities = json.loads(match.group("entities"))
    except ValueError:
        return text  # Rasa cannot read it either and ignores the entities
    if not isinstance(entities, dict):
        return text
    kept = {key: value for key, value in entities.items() if _scalar(value)}
    if kept == entities:
        return text
    return "/{}{}{}{}".format(
        match.group("intent"),
        match.group("confidence") or "",
        json.dumps(kept, ensure_ascii=False) if kept else "",
        match.group("rest"),
    )


# What a web client may tell about itself with a message; anything else is not stored.
CLIENT_KINDS = ("widget", "kiosk")
MAX_PLACE_CHARS = 60


def client_metadata(metadata: Any) -> dict[str, str]:
    """The metadata a client sends, kept to what the assistant uses: the language chosen in
    the client (`language`), the kind of client (`client`) and where it stands (`place`: the
    library of a kiosk, the municipality of a web site). Not personal data; other keys and odd
    values are dropped before Rasa stores the message."""
    if not isinstance(metadata, dict):
        return {}
    kept: dict[str, str] = {}
    language = metadata.get("language")
    if isinstance(language, str) and re.fullmatch(r"[a-z]{2}", language):
        kept["language"] = language
    if metadata.get("client") in CLIENT_KINDS:
        kept["client"] = metadata["client"]
    place = metadata.get("place")
    if isinstance(place, str) and 0 < len(place.strip()) <= MAX_PLACE_CHARS:
        kept["place"] = place.strip()
    return kept


def sender_key(channel: str, sender: Any) -> str:
    """A counter key that does not contain the sender id itself."""
    digest = hashlib.sha256(f"{channel}\x00{sender}".encode("utf-8", "replace")).hexdigest()
    return f"{channel}:{digest[:32]}"


def _rate(limit: int, window: float) -> RateLimitItemPerSecond:
    """`limit` hits per `window` seconds (whole seconds, at least one), keyed in our namespace."""
    return RateLimitItemPerSecond(limit, max(1, math.ceil(window)), namespace=KEY_NAMESPACE)


class MemoryLimiter:
    """Moving window in this process: at most `limit` hits per key within `window` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.rate = _rate(limit, window)
        self.storage = MemoryStorage()  # the strategy holds only a weak reference to it
        self.strategy = MovingWindowRateLimiter(self.storage)
        self._last_hit: dict[str, float] = {}  # key -> when it last counted a hit
        self._lock = threading.Lock()
        self._last_sweep = time.monotonic()

    def hit(self, key: str) -> bool:
        """Count one message; False when it is over the limit (it is not counted then)."""
        now = time.monotonic()
        with self._lock:
            self._sweep(now)
            if not self.strategy.hit(self.rate, key):
                return False
            self._last_hit[key] = now
            return True

    def _sweep(self, now: float) -> None:
        """Forget senders that were quiet for a whole window, so memory stays bounded
        (`limits`' memory storage keeps an empty list for every key it ever saw)."""
        window = self.rate.get_expiry()
        if now - self._last_sweep < window:
            return
        self._last_sweep = now
        for key in [k for k, last in self._last_hit.items() if last <= now - window]:
            del self._last_hit[key]
            self.strategy.clear(self.rate, key)

    def __len__(self) -> int:
        return len(self._last_hit)


class RedisLimiter:
    """The same moving window in Redis, shared by every instance. `limits` checks and counts
    in one Lua script (atomic in Redis), under keys `leerwijzer:ratelimit/<sender key>/...`."""

    def __init__(
        self,
        redis_url: str,
        limit: int,
        window: float,
        fallback: MemoryLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.rate = _rate(limit, window)
        # Connecting happens on the first hit; short timeouts keep a dead Redis from
        # holding up messages before the fallback takes over.
        self.storage = RedisStorage(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.clock = clock
        self.fallback = fallback or MemoryLimiter(limit, window)
        self._warned = False
        self._retry_at = 0.0  # after a failure, count in memory for a while without waiting

    def hit(self, key: str) -> bool:
        now = self.clock()
        if now < self._retry_at:
            return self.fallback.hit(key)
        try:
            allowed = self.strategy.hit(self.rate, key)
        except Exception as exc:  # noqa: BLE001 - any Redis failure: count in memory instead
            if not self._warned:
                logger.warning(
                    "Rate limit: Redis unavailable (%s); counting in memory", type(exc).__name__
                )
                self._warned = True
            self._retry_at = now + REDIS_RETRY_SECONDS
            return self.fallback.hit(key)
        self._warned = False
        return allowed


class Guard:
    def __init__(self, limiter: MemoryLimiter | RedisLimiter, max_chars: int = MAX_MESSAGE_CHARS):
        self.limiter = limiter
        self.max_chars = max_chars

    def check(
        self, channel: str, sender: Any, text: str | None, language: str | None = None
    ) -> str | None:
        """None to let the message through, else the refusal to answer with."""
        if not self.limiter.hit(sender_key(channel, sender)):
            logger.info("Rate limit reached on channel %s; message refused", channel)
            return refusal_text("rate_limited", language)
        if text is not None and len(text) > self.max_chars:
            logger.info("Message over %d characters on channel %s refused", self.max_chars, channel)
            return refusal_text("too_long", language, self.max_chars)
        return None


def build_guard(
    limit: int, window: float, max_chars: int = MAX_MESSAGE_CHARS, redis_url: str = ""
) -> Guard:
    memory = MemoryLimiter(limit, window)
    if not redis_url:
        return Guard(memory, max_chars)
    return Guard(RedisLimiter(redis_url, limit, window, fallback=memory), max_chars)


def guard() -> Guard:
    """A guard from the settings (RATE_LIMIT_*, MAX_MESSAGE_CHARS, REDIS_URL).

    Each channel makes its own when it is created (one per channel per process); with
    REDIS_URL set they all share the counter in Redis.
    """
    from bot.settings import settings

    config = settings()
    return build_guard(
        config.rate_limit_messages,
        config.rate_limit_window_seconds,
        config.max_message_chars,
        config.redis_url,
    )
