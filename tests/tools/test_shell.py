"""tools/shell.py without a running stack: it starts one for the conversation, then stops it.

The conversation itself on a real stack is in tests/e2e/test_shell.py; starting the stack is
tests/bot/test_launcher.py. Here: that the shell starts the launcher's Stack with the
settings and the trained model, talks to that stack, and stops it.
"""

from __future__ import annotations

import tools.shell as shell
import tools.training


class RecordingStack:
    events: list = []

    def __init__(self, config, model):
        self.events.append(("new", config.rasa_url, model))

    def __enter__(self):
        return self

    def start(self):
        self.events.append(("start",))

    def __exit__(self, *exc):
        self.events.append(("stop",))


def test_without_a_running_stack_the_shell_starts_one_for_the_conversation(
    monkeypatch, clean_settings, tmp_path
):
    clean_settings.setenv("RASA_PORT", "5999")
    monkeypatch.setattr("bot.settings.ENV_FILE", tmp_path / ".env")
    monkeypatch.setattr(shell, "healthy", lambda url: False)
    monkeypatch.setattr(shell, "Stack", RecordingStack)
    monkeypatch.setattr(tools.training, "ensure_model", lambda: "models/leerwijzer-x.tar.gz")
    talked_to = []
    monkeypatch.setattr(shell, "converse", lambda url: talked_to.append(url))
    RecordingStack.events = []

    assert shell.main() == 0
    url = "http://127.0.0.1:5999"
    assert RecordingStack.events == [
        ("new", url, "models/leerwijzer-x.tar.gz"),
        ("start",),
        ("stop",),
    ]
    assert talked_to == [url]
