"""The monthly report and the dashboard's figures, from the published cells only (pure).

`build_report` turns the published cells of a period (and the earlier periods of the same
grain, for the trend) into what the dashboard and the report show: the searches per subject
over time, the unmet demand per subject and municipality with the largest gaps first, the
languages, the schemes and how often nothing fits, the reasons to ask for a person, and a
short summary in plain Dutch (B1). Every number is a count of conversations ("gesprekken").

A cell that is not published (fewer than k conversations, or hidden so that it cannot be worked
out from the others) is simply absent: it is shown as "–", never as 0, and the summary never
guesses it. No text of a citizen is in a cell, so none can appear here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from services.insights import labels
from services.insights.store import ALL

MONTHS = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2]|Q[1-4])$")
TREND_PERIODS = {"month": 12, "quarter": 8}  # how far back the trend goes
TREND_SUBJECTS = 6  # the subjects with the most searches get a line
GAP_SHARE = 25.0  # a cell is a gap when at least this share of its searches found no offer
SUMMARY_GAPS = 3
NOT_A_PLACE = ("unknown",)  # never named as a gap: nobody knows where
MEASURES = ("no_result_pct", "no_nearby_pct", "paid_only_pct")
MAIN_OUTCOMES = ("eligible", "maybe", "not_eligible")
# Views whose bars keep the order of their codes (else: the most conversations first).
ORDERED = {"age": list(labels.AGE_BANDS), "budget": list(labels.BUDGET)}
# Views shown as simple bar charts, in the order of the page: title, what it shows, and the
# heading of the first column of its table.
BAR_VIEWS = (
    ("language", "Talen", "In welke taal mensen met Leerwijzer praatten.", "Taal"),
    (
        "handover",
        "Waarom mensen een medewerker vroegen",
        "De reden waarom iemand met een mens wilde praten.",
        "Reden",
    ),
    ("help", "Soorten hulp", "Bij welke soort hulp Leerwijzer organisaties liet zien.",
     "Soort hulp"),
    ("channel", "Kanalen", "Waar mensen met Leerwijzer praatten.", "Kanaal"),
    ("age", "Leeftijd", "De leeftijd, als mensen die zelf noemden.", "Leeftijd"),
)  # fmt: skip

# -- words and numbers ---------------------------------------------------------------------------


def is_period(value: str) -> bool:
    return bool(PERIOD.match(value or ""))


def grain_of(period: str) -> str:
    return "quarter" if "-Q" in period else "month"


def period_label(period: str) -> str:
    """ "2026-11" -> "november 2026"; "2026-Q4" -> "oktober tot en met december 2026"."""
    found = PERIOD.match(period or "")
    if not found:
        return period
    year, part = found.groups()
    if part.startswith("Q"):
        first = 3 * int(part[1:]) - 3
        return f"{MONTHS[first]} tot en met {MONTHS[first + 2]} {year}"
    return f"{MONTHS[int(part) - 1]} {year}"


def short_period_label(period: str) -> str:
    """ "2026-11" -> "nov 2026"; "2026-Q4" -> "kwartaal 4 2026" (for the axis of a chart)."""
    found = PERIOD.match(period or "")
    if not found:
        return period
    year, part = found.groups()
    if part.startswith("Q"):
        return f"kwartaal {part[1:]} {year}"
    return f"{MONTHS[int(part) - 1][:3]} {year}"


def number(value: int | float) -> str:
    """1234 -> "1.234"; 4.5 -> "4,5" (Dutch)."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{int(value):,}".replace(",", ".")


def percent(value: float) -> str:
    return f"{round(value)}%"


def conversations(count: int) -> str:
    return f"{number(count)} {'gesprek' if count == 1 else 'gesprekken'}"


def hidden_note(k: int) -> str:
    return f"– betekent: minder dan {k} gesprekken of verborgen om de privacy te beschermen."


def k_explanation(k: int) -> str:
    return (
        f"Elk getal telt gesprekken. We laten een getal alleen zien als het om minstens {k} "
        "verschillende gesprekken gaat. Zo is niemand te herkennen. Kleinere getallen zijn "
        "verborgen, en soms ook een getal erbij, zodat u het verborgen getal niet kunt "
        "uitrekenen. Een verborgen getal ziet u als –. Dat kan 0 zijn of een klein getal."
    )


def place_phrase(place: str) -> str:
    """How a place reads after a subject: "in Breda", "online", "in een onbekende plaats"."""
    if place == "online":
        return "online"
    if place == "unknown":
        return "in een onbekende plaats"
    if place == ALL:
        return "in de hele regio"
    return f"in {place}"


# -- the figures ---------------------------------------------------------------------------------


def trend_periods(periods: Iterable[str], period: str) -> list[str]:
    """The published periods of the same grain up to `period`, oldest first (at most a year)."""
    grain = grain_of(period)
    earlier = sorted(p for p in set(periods) if grain_of(p) == grain and p <= period)
    return earlier[-TREND_PERIODS[grain] :]


def _index(cells: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str, str], Mapping]:
    return {(c["view"], c["period"], c["row"], c["col"]): c for c in cells}


def _measure(cell: Mapping[str, Any], name: str) -> float | None:
    value = (cell.get("measures") or {}).get(name)
    return float(value) if isinstance(value, (int, float)) else None


def unmet_share(cell: Mapping[str, Any]) -> float | None:
    """The largest share of the cell's searches without a fitting offer: none found, none
    nearby or only paid ones (None: none of these published)."""
    shares = [s for s in (_measure(cell, m) for m in MEASURES) if s is not None]
    return max(shares) if shares else None


def gap_rows(
    cells: Iterable[Mapping[str, Any]], period: str, municipality: str | None = None
) -> list[dict[str, Any]]:
    """The unmet demand: one row per subject and place (of one municipality, or all), the
    largest gap first: the most conversations without a fitting offer nearby."""
    rows = []
    for cell in cells:
        if cell["view"] != "demand" or cell["period"] != period:
            continue
        subject, place = cell["row"], cell["col"]
        if ALL in (subject, place) or (municipality and place != municipality):
            continue
        share = unmet_share(cell)
        unmet = round(cell["conversations"] * share / 100) if share is not None else 0
        rows.append(
            {
                "subject": subject,
                "subject_label": labels.label("demand", subject, "row"),
                "place": place,
                "place_label": labels.place(place),
                "conversations": cell["conversations"],
                **{m: _measure(cell, m) for m in (*MEASURES, "median_km")},
                "unmet_pct": share,
                "unmet": unmet,
            }
        )
    rows.sort(key=lambda r: (-r["unmet"], -(r["unmet_pct"] or 0), -r["conversations"],
                             r["subject_label"], r["place_label"]))  # fmt: skip
    return rows


def largest_gaps(rows: list[dict[str, Any]], count: int = SUMMARY_GAPS) -> list[dict[str, Any]]:
    """The gaps the summary names: a real place, and a large share without a fitting offer."""
    return [
        r
        for r in rows
        if r["place"] not in NOT_A_PLACE and r["unmet_pct"] is not None
        and r["unmet_pct"] >= GAP_SHARE
    ][:count]  # fmt: skip


def trend(
    index: Mapping[tuple[str, str, str, str], Mapping],
    periods: list[str],
    period: str,
    place: str,
) -> dict[str, Any]:
    """Searches per subject and period in one place ("*": the region), for the line chart:
    the subjects with the most searches in `period` (then over all periods) get a line."""
    totals: dict[str, tuple[int, int]] = {}
    for view, at, subject, col in index:
        if view == "demand" and col == place and subject != ALL and at in periods:
            count = index[(view, at, subject, col)]["conversations"]
            now, overall = totals.get(subject, (0, 0))
            totals[subject] = (now + (count if at == period else 0), overall + count)
    subjects = sorted(totals, key=lambda s: (-totals[s][0], -totals[s][1], s))[:TREND_SUBJECTS]
    points = [
        {
            "period": at,
            "period_label": short_period_label(at),
            "subject": subject,
            "subject_label": labels.label("demand", subject, "row"),
            "conversations": cell["conversations"] if cell else None,
        }
        for at in periods
        for subject in subjects
        for cell in [index.get(("demand", at, subject, place))]
    ]
    return {
        "periods": [{"code": p, "label": short_period_label(p)} for p in periods],
        "subjects": [{"code": s, "label": labels.label("demand", s, "row")} for s in subjects],
        "points": points,
    }


def bars(
    index: Mapping[tuple[str, str, str, str], Mapping],
    view: str,
    period: str,
    municipality: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """The published columns of a one-row view, most conversations first (age bands and budget
    outcomes in their own order), and whether they are for the whole region (the view has no
    row for the municipality)."""

    def row_of(row: str) -> list[Mapping]:
        return [c for (v, p, r, col), c in index.items()
                if v == view and p == period and r == row and col != ALL]  # fmt: skip

    found = row_of(municipality) if municipality else []
    region = not found
    found = found or row_of(ALL)
    result = [
        {
            "code": c["col"],
            "label": labels.label(view, c["col"]),
            "conversations": c["conversations"],
        }
        for c in found
    ]
    order = ORDERED.get(view)
    if order:
        result.sort(key=lambda b: order.index(b["code"]) if b["code"] in order else len(order))
    else:
        result.sort(key=lambda b: (-b["conversations"], b["label"]))
    return result, region


def scheme_rows(
    index: Mapping[tuple[str, str, str, str], Mapping], period: str
) -> list[dict[str, Any]]:
    """Per scheme: the conversations per outcome (None: not published), most asked first."""
    found: dict[str, dict[str, Any]] = {}
    for (view, at, scheme, outcome), cell in index.items():
        if view != "schemes" or at != period or ALL in (scheme, outcome):
            continue
        row = found.setdefault(
            scheme,
            {"code": scheme, "label": labels.label("schemes", scheme, "row"),
             **{o: None for o in labels.OUTCOMES}},
        )  # fmt: skip
        if outcome not in row:
            continue  # an outcome without a name is in the total only
        row[outcome] = cell["conversations"]
    for scheme, row in found.items():
        margin = index.get(("schemes", period, scheme, ALL))
        row["total"] = (
            margin["conversations"] if margin else sum(row[o] or 0 for o in labels.OUTCOMES)
        )
    return sorted(found.values(), key=lambda r: (-r["total"], r["label"]))


# -- the summary ---------------------------------------------------------------------------------


def gap_sentence(row: Mapping[str, Any]) -> str:
    """'Veel vraag, weinig aanbod: Nederlands leren (NT2) in Roosendaal, 40 gesprekken. Bij 55%
    was er geen cursus in de buurt.'"""
    parts = [
        f"Veel vraag, weinig aanbod: {row['subject_label']} {place_phrase(row['place'])}, "
        f"{conversations(row['conversations'])}."
    ]
    if (row["no_result_pct"] or 0) >= GAP_SHARE:
        parts.append(f"Bij {percent(row['no_result_pct'])} vond Leerwijzer geen enkele cursus.")
    if (row["no_nearby_pct"] or 0) >= GAP_SHARE:
        parts.append(f"Bij {percent(row['no_nearby_pct'])} was er geen cursus in de buurt.")
    if (row["paid_only_pct"] or 0) >= GAP_SHARE:
        parts.append(f"Bij {percent(row['paid_only_pct'])} kostten alle cursussen geld.")
    return " ".join(parts)


def summary(report: Mapping[str, Any]) -> list[str]:
    """A few short points in plain Dutch about what stands out, from the figures only: the
    searches, the largest gaps (most searches without a fitting offer), the languages besides
    Dutch, how often no scheme fits, and the most frequent reason to ask for a person."""
    sentences = []
    where = place_phrase(report["municipality"] or ALL)
    if report["total_conversations"] is not None and not report["municipality"]:
        sentences.append(
            f"In {report['period_label']} had Leerwijzer "
            f"{conversations(report['total_conversations'])} in de hele regio."
        )
    total = report["total_searches"]
    if total is not None:
        sentences.append(
            f"In {report['period_label']} waren er {where} {conversations(total)} waarin "
            "mensen een cursus zochten."
        )
    else:
        sentences.append(
            f"In {report['period_label']} waren er {where} te weinig gesprekken over cursussen "
            "om een totaal te laten zien."
        )

    gaps = largest_gaps(report["gaps"])
    sentences += [gap_sentence(g) for g in gaps]
    if not gaps:
        sentences.append(
            "Er is geen onderwerp met veel gesprekken waarbij mensen vaak geen cursus vonden."
        )

    sections = {s["id"]: s for s in report["sections"]}

    def lead(section: str, region_words: str, words: str) -> str:
        """The start of a sentence; "In de hele regio ..." when the figures are the region's
        while the report is about one municipality."""
        return region_words if sections[section]["region_only"] else words

    languages = [b for b in sections["language"]["bars"] if b["code"] != "nl"]
    if languages:
        named = [f"{b['label']} ({conversations(b['conversations'])})" for b in languages[:2]]
        start = lead("language", "In de hele regio spraken mensen naast Nederlands",
                     "Naast Nederlands spraken mensen")  # fmt: skip
        sentences.append(f"{start} vooral {' en '.join(named)}.")
    else:
        sentences.append(
            "Gesprekken in een andere taal dan Nederlands waren er te weinig om te laten zien."
        )

    budget = {b["code"]: b["conversations"] for b in sections["budget"]["bars"]}
    nothing, something = budget.get("nothing_fits"), budget.get("something_fits")
    total = sections["budget"]["total"]
    if total is None and nothing is not None and something is not None:
        total = nothing + something
    if nothing is not None and total:
        checked = conversations(total)
        share = percent(100 * nothing / total)
        start = lead("budget", f"In de hele regio keek Leerwijzer in {checked}",
                     f"In {checked} keek Leerwijzer")  # fmt: skip
        sentences.append(
            f"{start} of een regeling de cursus kan betalen. In {number(nothing)} daarvan paste "
            f"geen enkele regeling ({share})."
        )
    elif nothing is not None:
        start = lead("budget", "In de hele regio paste", "Er paste")
        sentences.append(
            f"{start} in {conversations(nothing)} geen enkele regeling om een cursus te betalen."
        )
    else:
        sentences.append(
            "Hoe vaak er geen regeling past, kunnen we niet laten zien: te weinig gesprekken."
        )

    reasons = sections["handover"]["bars"]
    if reasons:
        top = reasons[0]
        because = labels.HANDOVER_BECAUSE.get(top["code"], top["label"].lower())
        start = lead("handover", "In de hele regio vroegen mensen", "Mensen vroegen")
        sentences.append(
            f"{start} het vaakst om een medewerker omdat {because} "
            f"({conversations(top['conversations'])})."
        )
    return sentences


# -- the whole report ----------------------------------------------------------------------------


def municipalities(cells: Iterable[Mapping[str, Any]]) -> list[str]:
    """The municipalities with published demand, by name."""
    return sorted({c["col"] for c in cells if c["view"] == "demand"} - {ALL, "online", "unknown"})


def build_report(
    cells: Iterable[Mapping[str, Any]],
    period: str,
    k: int,
    municipality: str | None = None,
    published_at: str | None = None,
) -> dict[str, Any]:
    """Everything the dashboard and the report show for one period and place (None: the
    region). `cells` are published cells of `period` and, for the trend, earlier periods."""
    cells = list(cells)
    index = _index(cells)
    periods = trend_periods({c["period"] for c in cells} | {period}, period)
    place = municipality or ALL
    margin = index.get(("demand", period, ALL, place))
    sections = []
    for view, title, description, column in BAR_VIEWS:
        found, region = bars(index, view, period, municipality)
        sections.append({"id": view, "title": title, "description": description,
                         "column": column, "region_only": bool(municipality) and region,
                         "bars": found})  # fmt: skip
    budget, budget_region = bars(index, "budget", period, municipality)
    budget_total = index.get(("budget", period, ALL, ALL))
    sections.append(
        {
            "id": "budget",
            "title": "Past er een regeling?",
            "description": "Of er een regeling was die (een deel van) de cursus kan betalen.",
            "column": "Uitkomst",
            "region_only": bool(municipality) and budget_region,
            "bars": budget,
            "total": budget_total["conversations"] if budget_total else None,
        }
    )
    conversations_total = index.get(("language", period, ALL, ALL))
    schemes = scheme_rows(index, period)
    # "other" (an outcome besides these three) gets a column only when it was published.
    outcomes = [o for o in labels.OUTCOMES
                if o in MAIN_OUTCOMES or any(r.get(o) is not None for r in schemes)]  # fmt: skip
    report: dict[str, Any] = {
        "period": period,
        "period_label": period_label(period),
        "grain": grain_of(period),
        "k": k,
        "published_at": published_at,
        "municipality": municipality,
        "place_label": municipality or "de hele regio",
        "municipalities": municipalities(cells),
        "k_explanation": k_explanation(k),
        "hidden_note": hidden_note(k),
        "total_conversations": (
            conversations_total["conversations"] if conversations_total else None
        ),
        "total_searches": margin["conversations"] if margin else None,
        "trend": trend(index, periods, period, place),
        "gaps": gap_rows(cells, period, municipality),
        "schemes": {
            "outcomes": [{"code": o, "label": labels.OUTCOMES[o]} for o in outcomes],
            "rows": schemes,
            "region_only": bool(municipality),
        },
        "sections": sections,
    }
    report["summary"] = summary(report)
    return report
