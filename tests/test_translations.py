"""Every response exists in all six languages, with the Dutch placeholders and buttons.

The Dutch texts are checked for plain language in tests/test_domain.py. Here, on the locale
files actions/locales/<code>.yml: each other language translates every Dutch response of nl.yml
(and nothing else), with its placeholders ({phone}, {name}, ...) and as many button titles as
the Dutch response has buttons; it is not Dutch left by accident (or the wrong language); and
the same holds for the `strings`, with the widget's and kiosk's texts in `strings.widget`.
domain/responses.yml, which Rasa reads, and web/widget/strings.js are generated from the locale
files and must be in step with them (`python -m actions.i18n`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from actions.i18n import (
    DEFAULT_LANGUAGE,
    OTHER_LANGUAGES,
    RESPONSES_FILE,
    generated_files,
    locale,
)
from bot.components.language_detection import detect
from bot.settings import PROJECT_ROOT

DUTCH = locale(DEFAULT_LANGUAGE)["responses"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
SCHEMES_DIR = PROJECT_ROOT / "services" / "budget" / "schemes"
# Words that only Dutch uses among the six languages: a sign of an untranslated text.
DUTCH_WORDS = {"het", "een", "niet", "wilt", "kunt", "uw", "ik", "welke", "graag", "zoeken"}
# Informal address that the house style avoids (formal "siz", "ви"; Polish impersonal forms,
# so no "Pan/Pani" either).
INFORMAL = {
    "tr": r"\b(sen|seni|senin|sana)\b",
    "uk": r"(?<!\w)(ти|тебе|тобі|твій|твоя|твоє)(?!\w)",
    "pl": r"(?<!\w)(ty|cię|ciebie|tobie|tobą|twój|twoja|twoje|twoim|twojej|twoją|twoich|twojego|"
    r"pan|pani|pana|panu|panią)(?!\w)",
}
SCRIPT = {"ar": re.compile(r"[\u0600-\u06FF]"), "uk": re.compile(r"[\u0400-\u04FF]")}
WHATSAPP_BUTTON_LIMIT = 20  # the button that opens a WhatsApp list


def translation(name: str, language: str) -> dict:
    return locale(language)["responses"][name]


def translations() -> list[tuple[str, str]]:
    return [(name, language) for name in DUTCH for language in OTHER_LANGUAGES]


def texts_in(value: Any) -> Iterator[str]:
    """Every text in a value of `strings`, also inside its groups."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from texts_in(item)


@pytest.mark.parametrize("path", list(generated_files()), ids=lambda p: p.name)
def test_the_generated_files_are_in_step_with_the_locales(path):
    assert generated_files()[path] == path.read_text(encoding="utf-8"), (
        f"run `python -m actions.i18n` after changing actions/locales/ ({path.name} is "
        "generated: never edit it by hand)"
    )


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_response_exists_in_every_language_and_nothing_else(language):
    names = set(locale(language)["responses"])
    assert set(DUTCH) - names == set(), f"{language}.yml lacks these responses"
    assert names - set(DUTCH) == set(), f"{language}.yml translates responses nl.yml lacks"


@pytest.mark.parametrize(("name", "language"), translations())
def test_placeholders_and_buttons_match_the_dutch_ones(name, language):
    source, target = DUTCH[name], translation(name, language)
    assert target["text"].strip()
    assert set(PLACEHOLDER.findall(target["text"])) == set(PLACEHOLDER.findall(source["text"]))
    titles = target.get("buttons") or []
    assert len(titles) == len(source.get("buttons") or []), f"{name} ({language}): button titles"
    for title in titles:
        assert isinstance(title, str) and 0 < len(title) <= 40, (name, language, title)


def test_the_generated_responses_send_the_dutch_payloads_in_every_language():
    generated = yaml.safe_load(RESPONSES_FILE.read_text(encoding="utf-8"))["responses"]
    for name, variations in generated.items():
        regular = [v for v in variations if not v.get("condition")]
        assert len(regular) == 1, name
        payloads = [b["payload"] for b in regular[0].get("buttons") or []]
        for variation in variations:
            languages = [
                c["value"] for c in variation.get("condition") or [] if c["name"] == "language"
            ]
            if languages and languages[0] != DEFAULT_LANGUAGE:
                assert [b["payload"] for b in variation.get("buttons") or []] == payloads, name


@pytest.mark.parametrize(("name", "language"), translations())
def test_no_response_is_left_in_dutch(name, language):
    source, target = DUTCH[name], translation(name, language)
    text = PLACEHOLDER.sub(" ", target["text"])
    if not re.search(r"[^\W\d_]", text):
        return  # only placeholders and punctuation, e.g. "{name}: {reason} {next_step}"
    assert target["text"] != source["text"]
    words = set(re.findall(r"[^\W\d_]+", text.casefold()))
    assert not words & DUTCH_WORDS, f"{name} ({language}) has Dutch words: {words & DUTCH_WORDS}"
    if language in SCRIPT:
        assert SCRIPT[language].search(text), f"{name} ({language}) is not in its script"
    detected = detect(text)
    assert detected is None or detected["language"] == language, (name, language, detected)


@pytest.mark.parametrize("language", sorted(INFORMAL))
def test_translations_use_the_formal_register(language):
    texts = [entry["text"] for entry in locale(language)["responses"].values()]
    texts += list(texts_in(locale(language)["strings"]))
    informal = [t for t in texts if re.search(INFORMAL[language], t.casefold())]
    assert not informal, informal


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_action_strings_exist_in_every_language(language):
    dutch_strings = locale(DEFAULT_LANGUAGE)["strings"]
    strings = locale(language)["strings"]
    assert set(strings) == set(dutch_strings)
    for key, value in dutch_strings.items():
        if isinstance(value, str):
            assert set(PLACEHOLDER.findall(strings[key])) == set(PLACEHOLDER.findall(value)), key
        elif key != "schemes":
            assert set(strings[key]) == set(value), key
            for item, text in value.items():
                assert set(PLACEHOLDER.findall(strings[key][item])) == set(
                    PLACEHOLDER.findall(text)
                ), f"{key}.{item}"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_the_refusals_and_whatsapp_texts_are_translated(language):
    dutch_strings = locale(DEFAULT_LANGUAGE)["strings"]
    strings = locale(language)["strings"]
    for group in ("refusals", "whatsapp"):
        for key, text in strings[group].items():
            assert text != dutch_strings[group][key], f"{group}.{key} ({language}) is Dutch"
            if language in SCRIPT:
                assert SCRIPT[language].search(text), f"{group}.{key} ({language})"


@pytest.mark.parametrize("language", [DEFAULT_LANGUAGE, *OTHER_LANGUAGES])
def test_the_whatsapp_list_button_fits(language):
    label = locale(language)["strings"]["whatsapp"]["list_button"]
    assert len(label) <= WHATSAPP_BUTTON_LIMIT, (language, label)


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_scheme_has_a_short_explanation(language):
    ids = {yaml.safe_load(p.read_text(encoding="utf-8"))["id"] for p in SCHEMES_DIR.glob("*.yaml")}
    explained = locale(language)["strings"]["schemes"]
    assert ids <= set(explained), ids - set(explained)
