"""The shared test helpers that keep a test run from changing tracked files."""

from __future__ import annotations

from tests.support import artifacts, tracked


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
