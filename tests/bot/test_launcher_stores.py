"""Store selection from .env and the preflight check of the launcher (docs/operations.md)."""

import socket
import time

import pytest

from bot.launcher import Stack, StackError, preflight, redact, store_environment
from bot.settings import settings
from tests.support.ports import free_port


@pytest.fixture
def config(clean_settings, tmp_path):
    clean_settings.setenv("VAR_DIR", str(tmp_path / "var"))
    clean_settings.delenv("CATALOG_DATABASE_URL", raising=False)
    return clean_settings


def test_default_is_sqlite_and_in_memory_locks(config, tmp_path):
    env = store_environment(settings())
    assert env["TRACKER_STORE_URL"] == f"sqlite:///{tmp_path / 'var' / 'tracker.db'}"
    assert env["LOCK_STORE_TYPE"] == "in_memory"
    assert env["TICKET_LOCK_LIFETIME"] == "60"


def test_redis_and_postgresql_come_from_the_urls(config):
    config.setenv("TRACKER_STORE_URL", "postgresql://rasa:geheim@db.internal:5433/tracker")
    config.setenv("LOCK_STORE_URL", "redis://:s%40cret@redis.internal:6380/2")
    config.setenv("LOCK_LIFETIME_SECONDS", "30")
    env = store_environment(settings())
    assert env["TRACKER_STORE_URL"] == "postgresql://rasa:geheim@db.internal:5433/tracker"
    assert (env["LOCK_STORE_TYPE"], env["LOCK_STORE_HOST"]) == ("redis", "redis.internal")
    assert (env["LOCK_STORE_PORT"], env["LOCK_STORE_DB"]) == ("6380", "2")
    assert env["LOCK_STORE_PASSWORD"] == "s@cret"
    assert env["TICKET_LOCK_LIFETIME"] == "30"


def test_a_wrong_lock_store_url_is_named(config):
    config.setenv("LOCK_STORE_URL", "memcached://x:1")
    with pytest.raises(StackError, match="LOCK_STORE_URL"):
        store_environment(settings())


def test_passwords_are_not_shown():
    assert redact("postgresql://rasa:geheim@db:5432/t") == "postgresql://rasa:***@db:5432/t"
    assert redact("redis://db:6379/1") == "redis://db:6379/1"


def test_unreachable_redis_and_postgresql_are_named_quickly(config):
    config.setenv("TRACKER_STORE_URL", f"postgresql://rasa:geheim@127.0.0.1:{free_port()}/t")
    config.setenv("LOCK_STORE_URL", f"redis://127.0.0.1:{free_port()}/1")
    started = time.monotonic()
    with pytest.raises(StackError) as error:
        preflight(settings())
    assert time.monotonic() - started < 5
    message = str(error.value)
    assert "TRACKER_STORE_URL" in message and "PostgreSQL" in message
    assert "LOCK_STORE_URL" in message and "Redis" in message
    assert "geheim" not in message


def test_a_store_that_accepts_but_never_answers_does_not_hang(config):
    config.setenv("PREFLIGHT_TIMEOUT_SECONDS", "1")
    with socket.socket() as silent:  # the kernel accepts the connection; nobody answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        config.setenv("LOCK_STORE_URL", f"redis://127.0.0.1:{port}/1")
        config.setenv("CALLBACK_DATABASE_URL", f"postgresql://cb@127.0.0.1:{port}/callbacks")
        started = time.monotonic()
        with pytest.raises(StackError) as error:
            preflight(settings())
        assert time.monotonic() - started < 8
    assert "LOCK_STORE_URL" in str(error.value)
    assert "CALLBACK_DATABASE_URL" in str(error.value)


def test_only_the_stores_of_the_started_processes_are_checked(config):
    config.setenv("CALLBACK_DATABASE_URL", f"postgresql://cb@127.0.0.1:{free_port()}/callbacks")
    preflight(settings(), {"rasa", "catalog", "budget", "web"})  # no error: actions not started
    with pytest.raises(StackError, match="CALLBACK_DATABASE_URL"):
        preflight(settings(), {"actions"})


def test_stack_start_stops_before_starting_anything(config, tmp_path):
    config.setenv("LOCK_STORE_URL", f"redis://127.0.0.1:{free_port()}/1")
    stack = Stack(settings(), tmp_path / "model.tar.gz", log_dir=tmp_path / "log")
    with pytest.raises(StackError, match="LOCK_STORE_URL"), stack:
        stack.start(timeout=5)
    assert all(p.popen is None for p in stack.processes)


def test_only_selects_processes(config, tmp_path):
    stack = Stack(settings(), tmp_path / "model.tar.gz", only={"rasa"})
    assert [p.name for p in stack.processes] == ["rasa"]
