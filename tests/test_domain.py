"""Everything the assistant says: plain Dutch, 'u', and a simpler variation of key responses.

The Dutch checks run on the Dutch variations; the translations are checked in
tests/test_translations.py.
"""

from __future__ import annotations

import re

import pytest
import yaml

from bot.settings import PROJECT_ROOT
from services.plain_language import check_text, sentences, words

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
RESPONSES = DOMAIN["responses"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Key responses: greetings, explanations and every question a form asks.
KEY_RESPONSES = sorted(
    {"greeting", "utter_help", "utter_iamabot", "utter_default", "privacy_info",
     "utter_out_of_scope", "courses_found", "callback_consent_question"}
    | {name for name in RESPONSES if name.startswith("utter_ask_")}
)  # fmt: skip


def is_dutch(variation: dict) -> bool:
    return all(
        c.get("name") != "language" or c.get("value") == "nl"
        for c in variation.get("condition") or []
    )


def variations() -> list[tuple[str, int, dict]]:
    """The Dutch variations (regular and plain_language) of every response."""
    return [
        (name, index, variation)
        for name, items in RESPONSES.items()
        for index, variation in enumerate(items)
        if is_dutch(variation)
    ]


def is_plain(variation: dict) -> bool:
    return any(c.get("name") == "plain_language" for c in variation.get("condition") or [])


@pytest.mark.parametrize(("name", "index", "variation"), variations(), ids=lambda v: str(v))
def test_every_response_is_plain_dutch(name, index, variation):
    text = PLACEHOLDER.sub("X", variation.get("text", ""))
    assert text.strip(), f"{name} has an empty text"
    problems = check_text(text)
    assert problems == [], f"{name}[{index}]: {[p.message for p in problems]}"


@pytest.mark.parametrize("name", KEY_RESPONSES)
def test_key_responses_have_a_simpler_variation(name):
    items = RESPONSES[name]
    plain = [v for v in items if is_plain(v)]
    regular = [v for v in items if not is_plain(v)]
    assert plain and regular, f"{name} needs a regular and a plain_language variation"
    assert plain[0]["text"] != regular[0]["text"]
    # Simpler means short sentences: at most 10 words each.
    longest = max(len(words(s)) for s in sentences(PLACEHOLDER.sub("X", plain[0]["text"])))
    assert longest <= 10, f"{name}: a simple sentence has {longest} words"


def test_responses_address_citizens_with_u():
    texts = " ".join(v.get("text", "") for _, _, v in variations()).lower()
    assert " u " in texts
    assert not re.search(r"\b(je|jij|jouw)\b", texts)


def test_button_titles_are_short():
    for name, _, variation in variations():
        for button in variation.get("buttons") or []:
            assert len(button["title"]) <= 40, (name, button["title"])


def test_every_domain_action_is_served_by_the_action_server_and_back():
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    declared = {a if isinstance(a, str) else next(iter(a)) for a in DOMAIN["actions"]}
    assert declared == set(executor.actions)


def test_a_phone_number_always_says_whom_it_reaches():
    # "Het Leerwerkloket helpt u. Bel 1400" made 1400 look like the Leerwerkloket's number;
    # it is Informatie Rijksoverheid. Every number comes with the name of whom it reaches.
    unnamed = [
        (name, variation["text"])
        for name, variations in RESPONSES.items()
        for variation in variations
        if "{phone}" in variation.get("text", "")
        and "{contact_name}" not in variation["text"]
        and "{name}" not in variation["text"]
    ]
    assert unnamed == []
