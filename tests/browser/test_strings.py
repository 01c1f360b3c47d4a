"""The widget's and kiosk's own texts (web/widget/strings.js) in all six languages."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from bot.settings import PROJECT_ROOT
from tests.support.binaries import require_binary

pytestmark = pytest.mark.no_browser
LANGUAGES = ["nl", "en", "ar", "tr", "uk", "pl"]
# Words that are the same in Dutch and another language on purpose.
SAME_AS_DUTCH = {("en", "privacy")}
SCRIPTS = {"ar": r"[\u0600-\u06FF]", "uk": r"[\u0400-\u04FF]"}


@pytest.fixture(scope="module")
def table() -> dict:
    node = require_binary("node", "it runs web/widget/strings.js (make node-bin)")
    script = (
        "globalThis.window = globalThis;"
        f"require({json.dumps(str(PROJECT_ROOT / 'web' / 'widget' / 'strings.js'))});"
        "console.log(JSON.stringify({languages: window.Leerwijzer.LANGUAGES,"
        " strings: window.Leerwijzer.STRINGS}));"
    )
    result = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_six_languages_named_in_their_own_script(table):
    names = {entry["code"]: entry["name"] for entry in table["languages"]}
    assert list(names) == LANGUAGES
    assert names == {
        "nl": "Nederlands",
        "en": "English",
        "ar": "العربية",
        "tr": "Türkçe",
        "uk": "Українська",
        "pl": "Polski",
    }
    assert [e["code"] for e in table["languages"] if e["dir"] == "rtl"] == ["ar"]


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_every_text_exists_with_the_same_placeholders(table, language):
    dutch = table["strings"]["nl"]
    other = table["strings"][language]
    assert set(other) == set(dutch)
    for key, text in dutch.items():
        assert placeholders(other[key]) == placeholders(text), key
        assert other[key].strip(), key


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_nothing_left_in_dutch_by_accident(table, language):
    dutch = table["strings"]["nl"]
    other = table["strings"][language]
    same = {key for key in dutch if other[key] == dutch[key]}
    assert same <= {key for lang, key in SAME_AS_DUTCH if lang == language}
    if language in SCRIPTS:
        for key, text in other.items():
            assert re.search(SCRIPTS[language], text), f"{language}.{key} is not in its script"
