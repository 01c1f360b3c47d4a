"""Everything the assistant says in Dutch: plain Dutch, 'u', and a simpler variation of key
responses; and the domain Rasa reads, the folder domain/.

The Dutch checks run on actions/locales/nl.yml, where the Dutch texts are written; the other
languages are checked in tests/test_translations.py, and domain/responses.yml, generated from
the six locale files, is kept in step with them there.
"""

from __future__ import annotations

import re
from functools import cache

import pytest
import yaml

from actions.i18n import DEFAULT_LANGUAGE, DOMAIN_DIR, LANGUAGES, RESPONSES_FILE, locale
from services.plain_language import check_text, sentences, words

CORE = yaml.safe_load((DOMAIN_DIR / "core.yml").read_text(encoding="utf-8"))
DUTCH = locale(DEFAULT_LANGUAGE)["responses"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Key responses: greetings, explanations and every question a form asks.
KEY_RESPONSES = sorted(
    {"greeting", "utter_help", "utter_iamabot", "utter_default", "privacy_info",
     "utter_out_of_scope", "courses_found", "callback_consent_question"}
    | {name for name in DUTCH if name.startswith("utter_ask_")}
)  # fmt: skip
# Texts outside the responses that are whole sentences a citizen reads (the rest of `strings`
# are labels and fragments that actions put together): the guard's refusals, WhatsApp's texts
# and the widget's and kiosk's texts.
SENTENCE_GROUPS = ("refusals", "whatsapp", "widget")


def variations() -> list[tuple[str, str, dict]]:
    """The Dutch variations (regular and plain) of every response in nl.yml."""
    found = []
    for name, entry in DUTCH.items():
        found.append((name, "regular", entry))
        if entry.get("plain"):
            found.append((name, "plain", entry["plain"]))
    return found


def dutch_sentences() -> list[tuple[str, str]]:
    dutch_strings = locale(DEFAULT_LANGUAGE)["strings"]
    return [
        (f"{group}.{key}", text)
        for group in SENTENCE_GROUPS
        for key, text in dutch_strings[group].items()
    ]


@pytest.mark.parametrize(
    ("name", "kind", "variation"), variations(), ids=[f"{n}-{k}" for n, k, _ in variations()]
)
def test_every_response_is_plain_dutch(name, kind, variation):
    text = PLACEHOLDER.sub("X", variation.get("text", ""))
    assert text.strip(), f"{name} has an empty text"
    problems = check_text(text)
    assert problems == [], f"{name} ({kind}): {[p.message for p in problems]}"


@pytest.mark.parametrize(("key", "text"), dutch_sentences(), ids=[k for k, _ in dutch_sentences()])
def test_the_refusals_and_whatsapp_texts_are_plain_dutch(key, text):
    problems = check_text(PLACEHOLDER.sub("X", text))
    assert problems == [], f"{key}: {[p.message for p in problems]}"


@pytest.mark.parametrize("name", KEY_RESPONSES)
def test_key_responses_have_a_simpler_variation(name):
    entry = DUTCH[name]
    plain = entry.get("plain")
    assert plain, f"{name} needs a `plain` variation in nl.yml"
    assert plain["text"] != entry["text"]
    # Simpler means short sentences: at most 10 words each.
    longest = max(len(words(s)) for s in sentences(PLACEHOLDER.sub("X", plain["text"])))
    assert longest <= 10, f"{name}: a simple sentence has {longest} words"


def test_responses_address_citizens_with_u():
    texts = " ".join(v.get("text", "") for _, _, v in variations())
    texts += " " + " ".join(text for _, text in dutch_sentences())
    texts = texts.lower()
    assert " u " in texts
    assert not re.search(r"\b(je|jij|jouw)\b", texts)


def test_button_titles_are_short_and_every_button_has_a_payload():
    for name, kind, variation in variations():
        for button in variation.get("buttons") or []:
            assert len(button["title"]) <= 40, (name, kind, button["title"])
            assert str(button.get("payload", "")).startswith("/"), (name, kind, button)


def test_every_domain_action_is_served_by_the_action_server_and_back():
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    declared = {a if isinstance(a, str) else next(iter(a)) for a in CORE["actions"]}
    assert declared == set(executor.actions)


def test_a_phone_number_always_says_whom_it_reaches():
    # "Het Leerwerkloket helpt u. Bel 1400" made 1400 look like the Leerwerkloket's number;
    # it is Informatie Rijksoverheid. Every number comes with the name of whom it reaches.
    texts = [(name, "nl", v["text"]) for name, _, v in variations()]
    texts += [
        (name, language, entry["text"])
        for language in LANGUAGES[1:]
        for name, entry in locale(language)["responses"].items()
    ]
    unnamed = [
        (name, language, text)
        for name, language, text in texts
        if "{phone}" in text and "{contact_name}" not in text and "{name}" not in text
    ]
    assert unnamed == []


def test_the_domain_folder_holds_only_the_hand_written_core_and_the_generated_responses():
    # Rasa merges every domain file in the folder: a response written there by hand would
    # bypass the locale files and their checks.
    assert sorted(p.name for p in DOMAIN_DIR.iterdir()) == ["core.yml", "responses.yml"]
    assert "responses" not in CORE, "responses are written in actions/locales/, not in core.yml"
    assert RESPONSES_FILE.read_text(encoding="utf-8").startswith("# GENERATED")


@cache
def rasa_domain():
    from rasa.shared.core.domain import Domain

    return Domain.load(str(DOMAIN_DIR))


def test_rasa_reads_the_domain_folder_as_one_domain():
    domain = rasa_domain()
    assert set(domain.responses) == set(DUTCH)
    assert set(domain.intents) >= set(CORE["intents"])
    assert set(domain.form_names) == set(CORE["forms"])
    assert {slot.name for slot in domain.slots} >= set(CORE["slots"])
    assert domain.session_config.session_expiration_time == 60
    for name, variations_ in domain.responses.items():
        plain = 1 if DUTCH[name].get("plain") else 0
        assert len(variations_) == plain + len(LANGUAGES), name


def test_the_slot_language_has_exactly_the_languages_of_the_locales():
    assert CORE["slots"]["language"]["values"] == list(LANGUAGES)
    assert CORE["slots"]["language"]["initial_value"] == DEFAULT_LANGUAGE
