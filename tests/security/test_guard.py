"""bot/guard.py: the sliding-window rate limit, the length cap and the refusal texts."""

from __future__ import annotations

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


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_allows_the_limit_then_refuses_until_the_oldest_hit_leaves():
    clock = Clock()
    limiter = MemoryLimiter(limit=3, window=60, clock=clock)
    assert [limiter.hit("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit("b"), "another sender has its own window"
    clock.now += 30
    assert not limiter.hit("a"), "refused messages do not extend the window, but 60 s did not pass"
    clock.now += 30.1
    assert limiter.hit("a")


def test_quiet_senders_are_forgotten():
    clock = Clock()
    limiter = MemoryLimiter(limit=3, window=60, clock=clock)
    for sender in range(100):
        limiter.hit(str(sender))
    clock.now += 61
    limiter.hit("new")
    assert len(limiter) == 1


def test_guard_checks_rate_then_length():
    clock = Clock()
    check = Guard(MemoryLimiter(2, 60, clock=clock)).check
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


class FakeRedis:
    """The few sorted-set commands RedisLimiter uses, with the pipeline interface."""

    def __init__(self, fail: bool = False) -> None:
        self.sets: dict[str, dict[str, float]] = {}
        self.fail = fail

    def pipeline(self, transaction: bool = True) -> FakeRedis.Pipe:
        if self.fail:
            raise ConnectionError("redis down")
        return FakeRedis.Pipe(self)

    class Pipe:
        def __init__(self, redis: FakeRedis) -> None:
            self.redis, self.calls = redis, []

        def __getattr__(self, name):
            return lambda *args: self.calls.append((name, args))

        def execute(self):
            out = []
            for name, args in self.calls:
                zset = self.redis.sets.setdefault(args[0], {})
                if name == "zremrangebyscore":
                    for member in [m for m, s in zset.items() if args[1] <= s <= args[2]]:
                        del zset[member]
                    out.append(None)
                elif name == "zcard":
                    out.append(len(zset))
                elif name == "zadd":
                    zset.update(args[1])
                    out.append(1)
                else:
                    out.append(True)
            return out


def test_instances_share_the_counter_through_redis():
    clock, redis = Clock(), FakeRedis()
    first = Guard(RedisLimiter(redis, 3, 60, clock=clock))
    second = Guard(RedisLimiter(redis, 3, 60, clock=clock))
    results = [g.check("rest", "u", "hi") for g in (first, second, first, second)]
    assert results[:3] == [None, None, None]
    assert results[3] == refusal_text("rate_limited")
    assert all("u" not in key.split(":", 3)[-1] or len(key) > 40 for key in redis.sets)
    clock.now += 61
    assert second.check("rest", "u", "hi") is None


def test_without_redis_the_guard_counts_in_memory_and_tries_again_later(caplog):
    clock, redis = Clock(), FakeRedis(fail=True)
    limiter = RedisLimiter(redis, 2, 60, clock=clock)
    assert [limiter.hit("k") for _ in range(3)] == [True, True, False]
    assert caplog.text.count("Redis unavailable") == 1
    redis.fail = False
    assert not limiter.hit("k"), "still counting in memory right after the failure"
    clock.now += 31
    assert limiter.hit("k") and redis.sets, "Redis again"


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
    """A throwaway redis-server on a free port (Debian's package), if it is installed."""
    import shutil
    import socket
    import subprocess
    import time

    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


def test_two_rasa_instances_share_the_limit_in_a_real_redis(redis_url):
    first = build_guard(3, 60, redis_url=redis_url)
    second = build_guard(3, 60, redis_url=redis_url)
    answers = [g.check("rest", "u", "hi") for g in (first, second, first, second)]
    assert answers == [None, None, None, refusal_text("rate_limited")]
    assert second.check("rest", "other", "hi") is None
    keys = first.limiter.client.keys("leerwijzer:ratelimit:*")
    assert keys and all(b":u" not in key[-3:] for key in keys)
    assert 0 < first.limiter.client.ttl(keys[0]) <= 61


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
