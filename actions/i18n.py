"""Languages: the `language` slot, texts of actions, and the translated responses in domain.yml.

Dutch (nl) is the default and the source: its responses are written by hand in domain.yml.
Every other language has one file, actions/locales/<code>.yml, with

- `responses`: for every response of domain.yml its text and, when the Dutch response has
  buttons, the button titles in the same order (payloads are taken from the Dutch response);
- `strings`: the words that actions put together themselves (labels of a course, buttons).

`python -m actions.i18n` writes the translated responses into domain.yml as variations with the
condition `language = <code>`; the Dutch variations for plain_language get `language = nl`.
Nothing is translated at run time. See docs/languages.md.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT

DEFAULT_LANGUAGE = "nl"
LANGUAGES = ("nl", "en", "ar", "tr", "uk", "pl")
OTHER_LANGUAGES = LANGUAGES[1:]
LOCALES_DIR = Path(__file__).with_name("locales")
DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
SLOT = "language"
PLAIN_SLOT = "plain_language"
# ISO 639-1 (the slot) to ISO 639-2 (the catalog: teachingLanguage, supportLanguage).
ISO_639_2 = {"nl": "nld", "en": "eng", "ar": "ara", "tr": "tur", "uk": "ukr", "pl": "pol"}
# Each language's name in itself: the titles of the language buttons.
NATIVE_NAMES = {
    "nl": "Nederlands",
    "en": "English",
    "ar": "العربية",
    "tr": "Türkçe",
    "uk": "Українська",
    "pl": "Polski",
}


def language_of(tracker: Any) -> str:
    """The conversation's language; anything unknown is Dutch."""
    value = tracker.get_slot(SLOT)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


@cache
def locale(language: str) -> dict[str, Any]:
    path = LOCALES_DIR / f"{language}.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def strings(language: str) -> dict[str, Any]:
    """The action texts of a language, with Dutch for anything a locale lacks."""
    dutch = locale(DEFAULT_LANGUAGE).get("strings", {})
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return dutch
    return {**dutch, **locale(language).get("strings", {})}


def say(language: str, key: str, **values: Any) -> str:
    """One action text, e.g. say("en", "where", place="Breda")."""
    text = strings(language)[key]
    return text.format(**values) if values else text


# --- generating the translated responses of domain.yml ---------------------------------------


def _condition(language: str) -> list[dict[str, Any]]:
    return [{"type": "slot", "name": SLOT, "value": language}]


def _is_plain(variation: dict[str, Any]) -> bool:
    return any(c.get("name") == PLAIN_SLOT for c in variation.get("condition") or [])


def _is_translation(variation: dict[str, Any]) -> bool:
    return any(
        c.get("name") == SLOT and c.get("value") != DEFAULT_LANGUAGE
        for c in variation.get("condition") or []
    )


def dutch_regular(variations: list[dict[str, Any]]) -> dict[str, Any]:
    """The Dutch variation without conditions: the source of every translation."""
    return next(v for v in variations if not v.get("condition"))


def translated_variation(
    name: str, dutch: dict[str, Any], language: str, entry: dict[str, Any]
) -> dict[str, Any]:
    variation: dict[str, Any] = {"condition": _condition(language), "text": entry["text"]}
    dutch_buttons = dutch.get("buttons") or []
    titles = entry.get("buttons") or []
    if len(titles) != len(dutch_buttons):
        raise ValueError(
            f"{language}.yml: {name} needs {len(dutch_buttons)} button titles, has {len(titles)}"
        )
    if dutch_buttons:
        variation["buttons"] = [
            {"title": title, "payload": button["payload"]}
            for title, button in zip(titles, dutch_buttons, strict=True)
        ]
    return variation


def build_domain(path: Path = DOMAIN_FILE) -> str:
    """domain.yml with the translated variations regenerated (comments are kept)."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Quoted

    yml = YAML()
    yml.preserve_quotes = True
    yml.width = 4096
    yml.indent(mapping=2, sequence=4, offset=2)
    domain = yml.load(path.read_text(encoding="utf-8"))
    missing: list[str] = []
    for name, variations in domain["responses"].items():
        dutch = dutch_regular(variations)
        kept = [v for v in variations if not _is_translation(v)]
        for variation in kept:
            conditions = variation.get("condition") or []
            if _is_plain(variation) and not any(c.get("name") == SLOT for c in conditions):
                conditions.insert(0, _condition(DEFAULT_LANGUAGE)[0])
        variations.clear()
        variations.extend(kept)
        for language in OTHER_LANGUAGES:
            entry = locale(language).get("responses", {}).get(name)
            if entry is None:
                missing.append(f"{language}:{name}")
                continue
            variation = translated_variation(name, dutch, language, entry)
            variation["text"] = Quoted(variation["text"])
            for button in variation.get("buttons", []):
                button["title"] = Quoted(button["title"])
            variations.append(variation)
    if missing:
        raise ValueError(f"responses without a translation: {', '.join(missing)}")
    out = io.StringIO()
    yml.dump(domain, out)
    return out.getvalue()


def main() -> int:
    DOMAIN_FILE.write_text(build_domain(), encoding="utf-8")
    print(f"Wrote the translated responses into {DOMAIN_FILE.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
