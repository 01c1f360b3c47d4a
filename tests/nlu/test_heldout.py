"""The NLU gate: held-out messages in six languages, never trained on, against the trained model.

`make test` trains the model and starts the stack; each message of heldout.yml goes to the
Rasa server's /model/parse and the share of right intents per language must reach the floor
in floor.yml (it only goes up). Cross-validation (`make nlu-report`) is the fuller measure but
takes an hour; this catches a drop in understanding in every run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
import yaml

from bot.settings import PROJECT_ROOT

HERE = Path(__file__).parent
HELDOUT = yaml.safe_load((HERE / "heldout.yml").read_text(encoding="utf-8"))
FLOOR = yaml.safe_load((HERE / "floor.yml").read_text(encoding="utf-8"))
LANGUAGES = ("nl", "en", "ar", "tr", "uk", "pl")
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def training_texts() -> set[str]:
    texts = set()
    for path in (PROJECT_ROOT / "data" / "nlu").rglob("*.yml"):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            examples = item.get("examples")
            if not isinstance(examples, str):
                continue
            for line in examples.splitlines():
                text = _ANNOTATION.sub(r"\1", line.strip().removeprefix("- ").strip())
                texts.add(text.casefold())
    return texts


def test_the_held_out_messages_are_not_in_the_training_data():
    training = training_texts()
    assert len(training) > 1000
    seen = [
        m["text"] for items in HELDOUT.values() for m in items if m["text"].casefold() in training
    ]
    assert seen == []


def test_every_language_has_held_out_messages_for_the_core_intents():
    assert set(HELDOUT) == set(LANGUAGES)
    core = {"find_course", "ask_budget", "find_support", "human_handoff", "forget_me"}
    for language, items in HELDOUT.items():
        assert core <= {m["intent"] for m in items}, language


@pytest.mark.stack
def test_the_trained_model_understands_the_held_out_messages(shared_stack):
    config = shared_stack.config
    url = f"http://127.0.0.1:{config.rasa_port}/model/parse"
    wrong: dict[str, list[str]] = {}
    shares = {}
    for language in LANGUAGES:
        items = HELDOUT[language]
        misses = []
        for item in items:
            response = requests.post(
                url,
                params={"token": config.rasa_auth_token},
                json={"text": item["text"]},
                timeout=30,
            )
            response.raise_for_status()
            got = (response.json().get("intent") or {}).get("name")
            if got != item["intent"]:
                misses.append(f"{item['text']!r}: {got} (want {item['intent']})")
        shares[language] = 1 - len(misses) / len(items)
        wrong[language] = misses
    low = {lang: share for lang, share in shares.items() if share < FLOOR["per_language"]}
    overall = sum(shares.values()) / len(shares)
    assert not low and overall >= FLOOR["overall"], (shares, wrong)
