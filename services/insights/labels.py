"""Dutch names for the codes in the published cells, as a partner reads them.

The cells hold codes only (topic ids, scheme ids, language codes, reasons). The dashboard, the
CSV and the monthly report show these names instead, in plain Dutch (B1). Subject and help
names come from services/catalog/topics.yaml, scheme names from the budget service's scheme
files (services/budget/schemes/): one source for each. An unknown code is shown as it is.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from services.insights.store import ALL

ROOT = Path(__file__).resolve().parents[2]
TOPICS_FILE = ROOT / "services" / "catalog" / "topics.yaml"
SCHEMES_DIR = ROOT / "services" / "budget" / "schemes"

REGION = "de hele regio"  # the margin "*" of the places
OWN_WORDS = "any"  # a search in the person's own words, no known subject

LANGUAGES = {
    "nl": "Nederlands",
    "en": "Engels",
    "ar": "Arabisch",
    "tr": "Turks",
    "uk": "Oekraïens",
    "pl": "Pools",
}
CHANNELS = {
    "widget": "Chat op een website",
    "socketio": "Chat op een website",
    "kiosk": "Kiosk in de bibliotheek",
    "whatsapp": "WhatsApp",
    "twilio": "WhatsApp",
    "rest": "Andere koppeling",
    "desk": "Via een medewerker",
    "unknown": "Onbekend",
}
AGE_BANDS = {
    "<27": "Jonger dan 27 jaar",
    "27-44": "27 tot en met 44 jaar",
    "45-56": "45 tot en met 56 jaar",
    "57-66": "57 tot en met 66 jaar",
    "67+": "67 jaar of ouder",
}
OUTCOMES = {
    "eligible": "Past",
    "maybe": "Past misschien",
    "not_eligible": "Past niet",
    "other": "Anders",
}
BUDGET = {
    "something_fits": "Er past een regeling",
    "nothing_fits": "Er past geen regeling",
}
HANDOVER_REASONS = {
    "asked": "Wilde meteen een medewerker spreken",
    "misunderstood": "Leerwijzer begreep de vraag niet",
    "no_course": "Geen cursus gevonden",
    "nothing_fits": "Geen regeling past",
    "help": "Zocht hulp bij iets",
}
# The same reasons after "omdat", for the summary of the report.
HANDOVER_BECAUSE = {
    "asked": "ze meteen een medewerker wilden spreken",
    "misunderstood": "Leerwijzer hun vraag niet begreep",
    "no_course": "Leerwijzer geen cursus vond",
    "nothing_fits": "er geen regeling paste",
    "help": "ze hulp zochten, bijvoorbeeld bij lezen of DigiD",
}
PLACES = {
    ALL: "Hele regio",
    "online": "Online",
    "unknown": "Plaats onbekend",
}
VIEWS = {
    "demand": "Vraag naar cursussen",
    "language": "Talen",
    "channel": "Kanalen",
    "age": "Leeftijd",
    "schemes": "Regelingen",
    "budget": "Past er een regeling?",
    "handover": "Redenen om een medewerker te vragen",
    "help": "Soorten hulp",
}
# The measures of the view `demand`: each a share of the cell's conversations, or a distance.
MEASURES = {
    "no_result_pct": "Geen cursus gevonden (%)",
    "no_nearby_pct": "Geen cursus dichtbij (%)",
    "median_km": "Afstand tot dichtstbijzijnde cursus (km, mediaan)",
    "paid_only_pct": "Alleen cursussen die geld kosten (%)",
}


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None


@lru_cache(maxsize=1)
def subjects() -> dict[str, str]:
    """Topic id -> Dutch name (topics.yaml), and "any" for searches in one's own words."""
    data = _load_yaml(TOPICS_FILE) or {}
    names = {str(t["id"]): str(t.get("label") or t["id"]) for t in data.get("topics") or []}
    names[OWN_WORDS] = "Eigen woorden (geen vast onderwerp)"
    names[ALL] = "Alle onderwerpen"
    return names


@lru_cache(maxsize=1)
def help_kinds() -> dict[str, str]:
    """Help kind id -> Dutch name (topics.yaml `helps_with`)."""
    data = _load_yaml(TOPICS_FILE) or {}
    return {str(h["id"]): str(h.get("label") or h["id"]) for h in data.get("helps_with") or []}


@lru_cache(maxsize=1)
def schemes() -> dict[str, str]:
    """Scheme id -> its Dutch name, from the budget service's scheme files."""
    names = {}
    for path in sorted(SCHEMES_DIR.glob("*.yaml")):
        data = _load_yaml(path)
        if isinstance(data, dict) and data.get("id"):
            names[str(data["id"])] = str(data.get("name") or data["id"])
    return names


def place(code: str) -> str:
    """A municipality's name as it is; "online", "unknown" and the margin in words."""
    return PLACES.get(code, code)


def label_maps() -> dict[str, dict[str, str]]:
    """For each view, the names of its row and column codes (the margin "*" included)."""
    return {
        "demand_row": subjects(),
        "demand_col": dict(PLACES),
        "language": LANGUAGES,
        "channel": CHANNELS,
        "age": AGE_BANDS,
        "schemes_row": schemes(),
        "schemes_col": OUTCOMES,
        "budget": BUDGET,
        "handover": HANDOVER_REASONS,
        "help": help_kinds(),
    }


def label(view: str, code: str, axis: str = "col") -> str:
    """The Dutch name of a row (`axis="row"`) or column code of a view; the code if unknown."""
    if code == ALL and not (view == "demand" and axis == "row"):
        return PLACES[ALL] if view == "demand" else "Totaal"
    maps = label_maps()
    names = maps.get(f"{view}_{axis}") or (maps.get(view) if axis == "col" else None) or {}
    return names.get(code, code)
