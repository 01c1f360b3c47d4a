"""bot/guard.py: the moving-window rate limit (`limits`), the length cap and the refusal texts.

The Redis tests start a throwaway redis-server (tests/support/redis_server.py): skipped where
it is not installed, failed under `make test` (tests/support/binaries.py).
"""

from __future__ import annotations

import threading
import time

import pytest

from bot.guard import (
    MAX_MESSAGE_CHARS,
    REFUSALS,
    Guard,
    MemoryLimiter,
    RedisLimiter,
    build_guard,
    client_metadata,
    guard,
    refusal_text,
    safe_payload,
    sender_key,
)
from tests.support.ports import free_port
from tests.support.redis_server import redis_server


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_moving_window_allows_the_limit_then_refuses_until_the_oldest_hit_leaves():
    limiter = MemoryLimiter(limit=3, window=1)
    start = time.monotonic()
    assert [limiter.hit("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit("b"), "another sender has its own window"
    time.sleep(0.5)
    assert not limiter.hit("a"), "refused messages do not extend the window, but 1 s did not pass"
    time.sleep(max(0.0, start + 1.1 - time.monotonic()))
    assert limiter.hit("a")


def test_a_window_in_fractions_of_a_second_is_rounded_up():
    assert MemoryLimiter(3, 0.2).rate.get_expiry() == 1
    assert MemoryLimiter(3, 60.0).rate.get_expiry() == 60


def test_quiet_senders_are_forgotten():
    limiter = MemoryLimiter(limit=3, window=1)
    for sender in range(100):
        limiter.hit(str(sender))
    assert len(limiter) == 100 and len(limiter.storage.events) == 100
    time.sleep(1.1)
    limiter.hit("new")
    assert len(limiter) == 1
    assert len(limiter.storage.events) == 1, "the library's own entries are cleared too"


def test_concurrent_hits_in_memory_let_through_exactly_the_limit():
    limiter = MemoryLimiter(10, 60)
    allowed = hit_at_once([limiter], "rest:same-sender", threads=50)
    assert allowed.count(True) == 10


def test_guard_checks_rate_then_length():
    check = Guard(MemoryLimiter(2, 60)).check
    assert check("rest", "u1", "hallo") is None
    assert check("rest", "u1", "x" * MAX_MESSAGE_CHARS) is None
    assert check("rest", "u1", "hallo") == refusal_text("rate_limited")
    assert check("rest", "u2", "x" * (MAX_MESSAGE_CHARS + 1)) == refusal_text("too_long")
    assert check("socketio", "u1", "hallo") is None, "the key is channel and sender"


def test_refusals_are_plain_dutch_by_default_and_exist_for_every_language():
    too_long = refusal_text("too_long")
    assert "2000 tekens" in too_long and "u" in too_long.split()[0].lower()
    assert "Wacht u even een minuut" in refusal_text("rate_limited")
    for kind, texts in REFUSALS.items():
        assert set(texts) == {"nl", "en", "ar", "tr", "uk", "pl"}, kind
    assert refusal_text("rate_limited", "en").startswith("You are sending")
    assert refusal_text("rate_limited", "xx") == refusal_text("rate_limited")
    assert refusal_text("too_long", "pl-PL") == refusal_text("too_long", "pl")


def test_refusals_are_the_texts_of_the_locale_files():
    from actions.i18n import LANGUAGES, say

    for language in LANGUAGES:
        assert refusal_text("too_long", language, 50) == say(
            language, "refusals.too_long", max_chars=50
        )
        assert refusal_text("rate_limited", language) == say(language, "refusals.rate_limited")
    assert "pan" not in refusal_text("rate_limited", "pl").casefold().split()  # no Pan/Pani


def test_counter_keys_do_not_contain_the_sender_id():
    key = sender_key("twilio", "whatsapp:+31612345678")
    assert "612345678" not in key and key.startswith("twilio:")


def test_the_guard_follows_the_settings(clean_settings):
    clean_settings.setenv("RATE_LIMIT_MESSAGES", "2")
    clean_settings.setenv("MAX_MESSAGE_CHARS", "10")
    check = guard().check
    assert check("rest", "s", "0123456789") is None
    assert check("rest", "s", "01234567890") == refusal_text("too_long", max_chars=10)
    assert check("rest", "s", "a") == refusal_text("rate_limited")


def test_build_guard_uses_redis_only_when_configured():
    assert isinstance(build_guard(5, 60).limiter, MemoryLimiter)
    limiter = build_guard(5, 60, redis_url="redis://127.0.0.1:1/0").limiter
    assert isinstance(limiter, RedisLimiter)
    assert limiter.hit("k"), "nothing listens on port 1: counted in memory, not refused"


@pytest.mark.parametrize("text", [None, ""])
def test_no_text_is_only_counted(text):
    assert Guard(MemoryLimiter(1, 60)).check("whatsapp", "u", text) is None


@pytest.fixture
def redis_url(tmp_path):
    with redis_server(tmp_path) as url:
        yield url


def hit_at_once(limiters: list, key: str, threads: int) -> list[bool]:
    """`threads` hits on one key, released together, spread over the limiters."""
    start = threading.Barrier(threads)
    allowed: list[bool] = []

    def hit(number: int) -> None:
        start.wait()
        allowed.append(limiters[number % len(limiters)].hit(key))

    workers = [threading.Thread(target=hit, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert len(allowed) == threads
    return allowed


def test_two_rasa_instances_share_the_limit_in_a_real_redis(redis_url):
    first = build_guard(3, 60, redis_url=redis_url)
    second = build_guard(3, 60, redis_url=redis_url)
    answers = [g.check("rest", "u", "hi") for g in (first, second, first, second)]
    assert answers == [None, None, None, refusal_text("rate_limited")]
    assert second.check("rest", "other", "hi") is None
    client = first.limiter.storage.storage  # the redis client `limits` made
    keys = client.keys("leerwijzer:ratelimit/*")
    assert len(keys) == 2 and all(key.startswith(b"leerwijzer:ratelimit/rest:") for key in keys)
    assert all(b"/u/" not in key and b"/other/" not in key for key in keys)
    assert 0 < client.ttl(keys[0]) <= 60


def test_the_window_in_redis_moves_on(redis_url):
    check = build_guard(2, 1, redis_url=redis_url).check
    start = time.monotonic()
    assert [check("rest", "u", "hi") for _ in range(3)] == [
        None,
        None,
        refusal_text("rate_limited"),
    ]
    time.sleep(max(0.0, start + 1.1 - time.monotonic()))
    assert check("rest", "u", "hi") is None


def test_without_redis_the_guard_counts_in_memory_and_tries_again_later(caplog, tmp_path):
    port, clock = free_port(), Clock()
    limiter = RedisLimiter(f"redis://127.0.0.1:{port}/0", 2, 60, clock=clock)
    assert [limiter.hit("k") for _ in range(3)] == [True, True, False]
    assert caplog.text.count("Redis unavailable") == 1
    with redis_server(tmp_path, port):
        assert not limiter.hit("k"), "still counting in memory right after the failure"
        clock.now += 31
        assert limiter.hit("k"), "Redis again, with its own count"
        assert limiter.storage.storage.keys("leerwijzer:ratelimit/k/*")


@pytest.mark.parametrize(
    ("typed", "passed_on"),
    [
        ('/inform{"topic": "dutch"}', '/inform{"topic": "dutch"}'),
        ('/inform{"age": 45, "x": true, "y": 1.5}', '/inform{"age": 45, "x": true, "y": 1.5}'),
        ('/inform{"topic": {}}', "/inform"),
        ('/inform{"topic": [[{"a": "b"}]], "municipality": "Breda"}',
         '/inform{"municipality": "Breda"}'),
        ('/goodbye{"integration": null}', "/goodbye"),
        ('/inform@0.9{"age": NaN}rest', "/inform@0.9rest"),
        ("/inform{not json}", "/inform{not json}"),
        ("/inform", "/inform"),
        ("hallo {}", "hallo {}"),
        ("", ""),
        (None, None),
    ],
)  # fmt: skip
def test_typed_payloads_keep_only_plain_entity_values(typed, passed_on):
    assert safe_payload(typed) == passed_on


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ({"language": "ar", "client": "widget", "place": " Etten-Leur "},
         {"language": "ar", "client": "widget", "place": "Etten-Leur"}),
        ({"language": "arabic", "client": "bot", "place": "x" * 61}, {}),
        ({"place": ["Breda"], "name": "Jan", "phone": "0612345678"}, {}),
        ("not a dict", {}),
        (None, {}),
    ],
)  # fmt: skip
def test_client_metadata_keeps_only_what_the_assistant_uses(sent, kept):
    assert client_metadata(sent) == kept


def test_concurrent_hits_on_one_key_in_redis_let_through_exactly_the_limit(redis_url):
    """Three instances and 50 threads hit one sender at once: the check and the count must
    be one atomic step in Redis, or several threads see room for the same last place."""
    limiters = [build_guard(10, 60, redis_url=redis_url).limiter for _ in range(3)]
    for sender in range(5):  # a race is likely in one round, and all but certain in five
        allowed = hit_at_once(limiters, f"rest:sender-{sender}", threads=50)
        assert allowed.count(True) == 10, f"round {sender}"
    assert not any(limiter.fallback.storage.events for limiter in limiters), "all in Redis"
