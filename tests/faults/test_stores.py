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

import pytest

from deploy.local.throwaway_postgres import ThrowawayPostgres
from tests.faults.mid_conversation import through_a_fault
from tests.support.binaries import require_postgres
from tests.support.redis_server import RedisServer
from tests.support.stack import Citizen, running_stack

pytestmark = pytest.mark.stack
DISK_BYTES = 64 * 1024 * 1024  # room for the stores of one machine, then filled up


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
