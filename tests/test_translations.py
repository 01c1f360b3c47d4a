"""Every response exists in all six languages, with the Dutch placeholders and buttons.

The Dutch texts are checked for plain language in tests/test_domain.py. Here: each other
language has exactly one variation of every response, generated from actions/locales/<code>.yml
and in sync with it; its placeholders ({phone}, {name}, ...) and button payloads are the Dutch
ones; and it is not Dutch left by accident (or the wrong language).
"""

from __future__ import annotations

import re

import pytest
import yaml

from actions.i18n import DOMAIN_FILE, OTHER_LANGUAGES, build_domain, locale
from bot.components.language_detection import detect
from bot.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
RESPONSES = DOMAIN["responses"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
SCHEMES_DIR = PROJECT_ROOT / "services" / "budget" / "schemes"
# Words that only Dutch uses among the six languages: a sign of an untranslated text.
DUTCH_WORDS = {"het", "een", "niet", "wilt", "kunt", "uw", "ik", "welke", "graag", "zoeken"}
# Informal address that the house style avoids (formal "siz", "ви"; Polish impersonal forms).
INFORMAL = {
    "tr": r"\b(sen|seni|senin|sana)\b",
    "uk": r"(?<!\w)(ти|тебе|тобі|твій|твоя|твоє)(?!\w)",
    "pl": r"(?<!\w)(ty|cię|ciebie|twój|twoja|twoje|pan|pani)(?!\w)",
}
SCRIPT = {"ar": re.compile(r"[\u0600-\u06FF]"), "uk": re.compile(r"[\u0400-\u04FF]")}


def dutch(name: str) -> dict:
    return next(v for v in RESPONSES[name] if not v.get("condition"))


def translation(name: str, language: str) -> list[dict]:
    return [
        v
        for v in RESPONSES[name]
        if any(
            c.get("name") == "language" and c.get("value") == language
            for c in v.get("condition") or []
        )
    ]


def translations() -> list[tuple[str, str]]:
    return [(name, language) for name in RESPONSES for language in OTHER_LANGUAGES]


def test_domain_is_in_sync_with_the_locales():
    assert build_domain() == DOMAIN_FILE.read_text(encoding="utf-8"), (
        "run `python -m actions.i18n` after changing actions/locales or a Dutch response"
    )


@pytest.mark.parametrize(("name", "language"), translations())
def test_every_response_exists_in_every_language(name, language):
    found = translation(name, language)
    assert len(found) == 1, f"{name} has {len(found)} variations in {language}"
    assert found[0]["text"].strip()


@pytest.mark.parametrize(("name", "language"), translations())
def test_placeholders_and_buttons_match_the_dutch_ones(name, language):
    source, [target] = dutch(name), translation(name, language)
    assert set(PLACEHOLDER.findall(target["text"])) == set(PLACEHOLDER.findall(source["text"]))
    assert [b["payload"] for b in target.get("buttons") or []] == [
        b["payload"] for b in source.get("buttons") or []
    ]
    for button in target.get("buttons") or []:
        assert len(button["title"]) <= 40, (name, language, button["title"])


@pytest.mark.parametrize(("name", "language"), translations())
def test_no_response_is_left_in_dutch(name, language):
    source, [target] = dutch(name), translation(name, language)
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
    texts = [translation(name, language)[0]["text"] for name in RESPONSES]
    texts += [v for v in locale(language)["strings"].values() if isinstance(v, str)]
    informal = [t for t in texts if re.search(INFORMAL[language], t.casefold())]
    assert not informal, informal


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_action_strings_exist_in_every_language(language):
    dutch_strings = locale("nl")["strings"]
    strings = locale(language)["strings"]
    assert set(strings) == set(dutch_strings)
    for key, value in dutch_strings.items():
        if isinstance(value, str):
            assert set(PLACEHOLDER.findall(strings[key])) == set(PLACEHOLDER.findall(value)), key
        elif key != "schemes":
            assert set(strings[key]) == set(value), key


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_scheme_has_a_short_explanation(language):
    ids = {yaml.safe_load(p.read_text(encoding="utf-8"))["id"] for p in SCHEMES_DIR.glob("*.yaml")}
    explained = locale(language)["strings"]["schemes"]
    assert ids <= set(explained), ids - set(explained)
