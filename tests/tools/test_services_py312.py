"""tools/services_py312.py: finds Python 3.12 or stops with a clear message (the README's
promise); the 3.12 run itself is part of `make test`."""

from __future__ import annotations

from pathlib import Path

from tools import services_py312


def test_without_python_3_12_it_stops_and_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("PYTHON312", raising=False)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no python3.12 on it
    # Only where this machine cannot have one: the empty PATH and pyenv folder above.
    monkeypatch.setattr(
        services_py312, "candidates", lambda: ["python3.12", str(tmp_path / "pyenv" / "x")]
    )
    assert services_py312.main(["--install-only"]) == 1
    message = capsys.readouterr().err
    assert "3.12" in message and "pyenv" in message


def test_a_python_that_is_not_3_12_is_refused(monkeypatch, capsys):
    import sys

    monkeypatch.setenv("PYTHON312", sys.executable)  # this venv's 3.10
    assert services_py312.main(["--install-only"]) == 1
    assert "does not run as Python 3.12" in capsys.readouterr().err


def test_pyenv_versions_are_tried_newest_first(monkeypatch, tmp_path):
    for version in ("3.12.1", "3.12.10", "3.12.9"):
        python = tmp_path / "versions" / version / "bin" / "python3.12"
        python.parent.mkdir(parents=True)
        python.touch()
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    found = [c for c in services_py312.candidates() if c.startswith(str(tmp_path))]
    assert [Path(c).parent.parent.name for c in found] == ["3.12.10", "3.12.9", "3.12.1"]
