"""The shared test helpers (tests/support/): tracked files, artifacts, programs, ports."""

from __future__ import annotations

import socket

import pytest

from tests.support import artifacts, binaries, ports, tracked


def test_artifacts_go_to_var_unless_the_docs_are_asked_for(monkeypatch):
    monkeypatch.delenv(artifacts.WRITE_DOCS, raising=False)
    assert "var/test-artifacts/screenshots" in str(artifacts.artifact_path("screenshots/a.png"))
    monkeypatch.setenv(artifacts.WRITE_DOCS, "1")
    assert str(artifacts.artifact_path("task-success.md")).endswith("docs/task-success.md")


def test_a_changed_tracked_file_is_named(monkeypatch):
    monkeypatch.delenv(artifacts.WRITE_DOCS, raising=False)
    before = tracked.snapshot()
    if before is None:  # not a git checkout (an unpacked archive): nothing to compare
        return
    assert tracked.changed_since(before) == []
    assert tracked.changed_since({**before, "README.md": "an older state"}) == ["README.md"]


def outcome(check) -> str:
    """'skip: <reason>', 'fail: <reason>' or 'ran' (a skip must not pass for a failure)."""
    try:
        check()
    except pytest.skip.Exception as exc:
        return f"skip: {exc.msg}"
    except pytest.fail.Exception as exc:
        return f"fail: {exc.msg}"
    return "ran"


def test_a_missing_program_skips_unless_make_test_requires_it(monkeypatch):
    monkeypatch.delenv(binaries.REQUIRE_BINARIES, raising=False)
    assert binaries.require_binary("sh", "a shell").endswith("/sh")
    missing = lambda: binaries.require_binary("no-such-program", "why")  # noqa: E731
    assert outcome(missing) == "skip: no-such-program is not installed; why"
    monkeypatch.setenv(binaries.REQUIRE_BINARIES, "1")
    assert outcome(missing) == (
        "fail: no-such-program is not installed; why (LEERWIJZER_REQUIRE_BINARIES=1)"
    )


def test_postgres_binaries_missing_fail_under_make_test_but_the_opt_out_still_skips(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("PG_BINDIR", str(tmp_path))  # no initdb there, and none elsewhere either
    monkeypatch.setattr("glob.glob", lambda *args, **kwargs: [])
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(binaries.SKIP_POSTGRES, raising=False)
    postgres = lambda: binaries.require_postgres("why")  # noqa: E731
    monkeypatch.delenv(binaries.REQUIRE_BINARIES, raising=False)
    assert outcome(postgres).startswith("skip: PostgreSQL server binaries not found")
    monkeypatch.setenv(binaries.REQUIRE_BINARIES, "1")
    assert outcome(postgres).startswith("fail: PostgreSQL server binaries not found")
    monkeypatch.setenv(binaries.SKIP_POSTGRES, "1")
    assert outcome(postgres) == "skip: LEERWIJZER_SKIP_POSTGRES=1"


def test_free_ports_can_be_listened_on():
    port = ports.free_port()
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()
