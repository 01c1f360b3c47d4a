"""Faults of the scaled setup's stores, each in the middle of a conversation:

- PostgreSQL (conversations and call-back requests) restarts;
- Redis (the conversation locks) restarts.

A full disk under the SQLite stores of one machine: test_full_disk.py.

In each case the citizen gets a clear answer with a phone number within 3 seconds
(bot/channels/failsafe.py), the log names the fault, and once the part is back the
conversation goes on: no turn lost, none stored twice.
"""

from __future__ import annotations

import json
import time

import pytest

from actions.contacts import fallback_contact
from deploy.local.throwaway_postgres import ThrowawayPostgres
from tests.support.binaries import require_postgres
from tests.support.redis_server import RedisServer
from tests.support.stack import Citizen, process, running_stack, texts

pytestmark = pytest.mark.stack
ANSWER_WITHIN_SECONDS = 3.0
DISK_BYTES = 64 * 1024 * 1024  # room for the stores of one machine, then filled up


def timed(citizen: Citizen, text: str) -> tuple[str, float]:
    started = time.monotonic()
    answer = texts(citizen.say(text))
    return answer, time.monotonic() - started


def assert_clear_answer(answer: str, elapsed: float) -> None:
    assert fallback_contact().phone in answer, answer
    assert elapsed < ANSWER_WITHIN_SECONDS, f"answered after {elapsed:.1f} s"


def rasa_log(stack) -> str:  # noqa: ANN001
    return process(stack, "rasa").log_path.read_text(errors="replace")


# -- PostgreSQL and Redis: the scaled setup's stores ---------------------------------------------


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    require_postgres("the stores of the scaled setup")
    folder = tmp_path_factory.mktemp("stores")
    postgres = ThrowawayPostgres().start()
    redis = RedisServer(folder).start()
    try:
        tracker = postgres.create_database("tracker")
        with running_stack(
            folder / "var",
            TRACKER_STORE_URL=tracker,
            CALLBACK_DATABASE_URL=postgres.create_database("callbacks"),
            LOCK_STORE_URL=redis.url,
        ) as stack:
            yield stack, postgres, redis
    finally:
        redis.stop()
        postgres.stop()


def stored_user_turns(postgres: ThrowawayPostgres, sender: str) -> list[str]:
    rows = postgres.psql(
        f"SELECT data FROM events WHERE sender_id = '{sender}' AND type_name = 'user' ORDER BY id",
        database="tracker",
    )
    return [json.loads(line)["text"] for line in rows.splitlines() if line.strip()]


def through_a_fault(stack, citizen: Citizen, break_it, repair, logged: str, stored) -> None:  # noqa: ANN001
    """A course search; the part breaks before the place is given: a clear answer within 3 s
    and a log line naming the fault; once repaired the place, sent again, is answered and the
    conversation holds each message once (`stored`: the user messages kept for the citizen)."""
    assert "In welke plaats woont u?" in texts(citizen.say("Ik zoek een computercursus"))
    break_it()
    try:
        answer, elapsed = timed(citizen, "Breda")
        assert_clear_answer(answer, elapsed)
        assert logged in rasa_log(stack)
    finally:
        repair()
    assert "Waar: Breda" in texts(citizen.say("Breda"))
    assert stored(citizen.sender) == ["Ik zoek een computercursus", "Breda"]


def test_postgresql_restarting(scaled):
    stack, postgres, _ = scaled
    # Back: the first message is answered (stale connections are checked before use).
    through_a_fault(
        stack,
        Citizen(stack),
        postgres.halt,
        postgres.resume,
        "OperationalError (psycopg2.OperationalError",
        lambda sender: stored_user_turns(postgres, sender),
    )


def test_redis_restarting(scaled):
    stack, postgres, redis = scaled
    through_a_fault(
        stack,
        Citizen(stack),
        redis.stop,
        redis.start,
        "LockError <- ConnectionError",
        lambda sender: stored_user_turns(postgres, sender),
    )
