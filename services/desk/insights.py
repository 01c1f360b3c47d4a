"""The insights pages of the desk: the dashboard, the monthly report and the CSV (docs/insights.md).

For partners (education, employers, municipalities) and admins. Everything here reads the
published cells of the insights store only (services/insights/store.py): counts of at least k
conversations per cell, hidden cells absent. No facts, no conversation, no citizen's text.

- /desk/inzichten: the dashboard (static/insights.html with insights.js; charts by Vega-Lite).
- /desk/inzichten/rapport?periode=&gemeente=: the monthly report, HTML made here, printable.
- /desk/api/inzichten: the published periods and municipalities.
- /desk/api/inzichten/overzicht?periode=&gemeente=: the figures of the dashboard
  (services/insights/report.py), the same as the report's.
- /desk/api/inzichten/cellen?periode=&weergave=: the published cells as they are.
- /desk/api/inzichten/export.csv?periode=: the published cells as CSV (services/insights/export.py).

Each read of the dashboard's figures, the cells, the report and the CSV is in the audit log.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' Annotated dependencies,
# which name variables of insights_router, when the routes are defined.
import html
import json
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from string import Template
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.desk.accounts import Session
from services.desk.store import DeskStore
from services.insights import labels
from services.insights.report import (
    build_report,
    is_period,
    municipalities,
    number,
    period_label,
    trend_periods,
)
from services.insights.store import InsightsStore

logger = logging.getLogger(__name__)

READERS = ("partner", "admin")  # who may read the insights
PAGE = "/desk/inzichten"
REPORT_PAGE = "/desk/inzichten/rapport"
API = "/desk/api/inzichten"
TEMPLATE = Path(__file__).with_name("templates") / "insights-report.html"
VIEWS = tuple(labels.VIEWS)

NOT_ALLOWED = "Dit mag u niet."
NO_PERIOD = "Voor deze periode zijn er (nog) geen cijfers."
NO_PLACE = "Voor deze gemeente zijn er geen cijfers."
NOTHING_YET = "Er zijn nog geen cijfers. Die komen er zodra er genoeg gesprekken zijn geweest."


class LazyInsights:
    """The insights store, opened at its first use: the desk starts without it."""

    def __init__(self, url: str, store: InsightsStore | None = None) -> None:
        self.url = url
        self._store = store
        self._lock = threading.Lock()

    def __call__(self) -> InsightsStore:
        with self._lock:
            if self._store is None:
                self._store = InsightsStore(self.url)
            return self._store


def run_job(config: Any, insights: Callable[[], InsightsStore]) -> None:
    """The insights job (services/insights/job.py) once, on the desk's insights store; run in a
    worker thread by the desk's sweeper every INSIGHTS_EVERY_MINUTES. The job logs its counts;
    a failure is logged by its type only (its message could quote data), and the next run is
    tried at the next interval."""
    try:
        from services.insights.job import InsightsJob

        InsightsJob(config, insights()).run()
    except Exception as exc:  # noqa: BLE001 - the sweeper keeps going
        logger.error("Insights job failed: %s", type(exc).__name__)


# -- the figures --------------------------------------------------------------------------------


def _periods(store: InsightsStore) -> list[dict[str, Any]]:
    found = []
    for period in store.periods():
        publication = store.publication(period) or {}
        published_at = publication.get("published_at")
        found.append(
            {
                "period": period,
                "label": period_label(period),
                "grain": publication.get("grain"),
                "k": publication.get("k"),
                "published_at": published_at.isoformat() if published_at else None,
            }
        )
    return found


def report_for(
    store: InsightsStore, period: str | None, municipality: str | None
) -> dict[str, Any]:
    """The report's figures for a published period (None: the newest) and a municipality
    (None or "": the region); 404 for a period or municipality without figures."""
    periods = store.periods()
    if not periods:
        raise HTTPException(404, NOTHING_YET)
    period = period or periods[0]
    if not is_period(period) or period not in periods:
        raise HTTPException(404, NO_PERIOD)
    publication = store.publication(period) or {}
    # The period's cells, and the searches of the periods before it for the trend.
    earlier = [p for p in trend_periods(periods, period) if p != period]
    cells = [*store.cells(periods=[period]), *store.cells(view="demand", periods=earlier)]
    if municipality and municipality not in municipalities(cells):
        raise HTTPException(404, NO_PLACE)
    published_at = publication.get("published_at")
    return build_report(
        cells,
        period,
        k=int(publication.get("k") or 0),
        municipality=municipality or None,
        published_at=published_at.isoformat() if published_at else None,
    )


def csv_filename(period: str | None) -> str:
    return f"leerwijzer-inzichten-{period}.csv" if period else "leerwijzer-inzichten.csv"


# -- the report as HTML ---------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _count(value: int | None) -> str:
    return "–" if value is None else number(value)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{round(value)}%"


def _km(value: float | None) -> str:
    return "–" if value is None else f"{number(round(value, 1))} km"


def table(
    caption: str, headers: Iterable[str], rows: Iterable[Iterable[str]], table_id: str = ""
) -> str:
    """A table with a caption and column headers; the first cell of a row is its header.
    Every value is escaped here."""
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    body = []
    for row in rows:
        first, *rest = list(row)
        cells = "".join(f"<td>{_e(v)}</td>" for v in rest)
        body.append(f'<tr><th scope="row">{_e(first)}</th>{cells}</tr>')
    if not body:
        return f'<p class="utrecht-paragraph">{_e(caption)}: geen getallen om te laten zien.</p>'
    attribute = f' id="{_e(table_id)}"' if table_id else ""
    return (
        f'<div class="desk-table-wrap"><table class="desk-table insights-table"{attribute}>'
        f"<caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _chart(name: str, description: str) -> str:
    """Where the script draws a chart; the table after it holds the same numbers."""
    return (
        f'<figure class="insights-figure"><div class="insights-chart" data-chart="{_e(name)}">'
        f'</div><figcaption class="insights-figcaption">{_e(description)}</figcaption></figure>'
    )


def _section(section_id: str, title: str, parts: Iterable[str]) -> str:
    return (
        f'<section class="insights-section" aria-labelledby="{section_id}-title">'
        f'<h2 id="{section_id}-title" class="utrecht-heading-2">{_e(title)}</h2>'
        f"{''.join(parts)}</section>"
    )


def _region_note(region_only: bool) -> str:
    if not region_only:
        return ""
    return '<p class="utrecht-paragraph">Deze getallen gaan over de hele regio.</p>'


def report_sections(report: dict[str, Any]) -> str:
    """The charts and tables of the report, in the order of the dashboard."""
    place = report["place_label"]
    trend = report["trend"]
    values = {(p["period"], p["subject"]): p["conversations"] for p in trend["points"]}
    parts = [
        _section(
            "trend",
            "Vraag naar cursussen per onderwerp",
            [
                f'<p class="utrecht-paragraph">Het aantal gesprekken waarin mensen een cursus '
                f"zochten, per onderwerp, in {_e(place)}. Alleen de onderwerpen met de meeste "
                "gesprekken.</p>",
                _chart("trend", f"Gesprekken per onderwerp per periode, {place}"),
                table(
                    f"Gesprekken per onderwerp per periode, {place}",
                    ["Periode", *(s["label"] for s in trend["subjects"])],
                    (
                        [
                            p["label"],
                            *(
                                _count(values.get((p["code"], s["code"])))
                                for s in trend["subjects"]
                            ),
                        ]
                        for p in trend["periods"]
                    ),
                ),  # fmt: skip
            ],
        ),
        _section(
            "gaps",
            "Waar vinden mensen geen passend aanbod?",
            [
                '<p class="utrecht-paragraph">Per onderwerp en plaats: hoe vaak mensen zochten, '
                "en hoe vaak ze geen cursus vonden, geen cursus in de buurt, of alleen cursussen "
                "die geld kosten. De grootste gaten staan bovenaan.</p>",
                table(
                    f"Vraag zonder passend aanbod, {period_label(report['period'])}, {place}",
                    [
                        "Onderwerp",
                        "Plaats",
                        "Gesprekken",
                        "Geen cursus gevonden",
                        "Geen cursus dichtbij",
                        "Afstand dichtstbijzijnde cursus (mediaan)",
                        "Alleen cursussen die geld kosten",
                    ],
                    (
                        [
                            g["subject_label"],
                            g["place_label"],
                            _count(g["conversations"]),
                            _pct(g["no_result_pct"]),
                            _pct(g["no_nearby_pct"]),
                            _km(g["median_km"]),
                            _pct(g["paid_only_pct"]),
                        ]
                        for g in report["gaps"]
                    ),
                    "gaps-table",
                ),  # fmt: skip
            ],
        ),
    ]
    sections = {s["id"]: s for s in report["sections"]}
    for section_id in ("language", "handover"):
        parts.append(_bar_section(sections[section_id]))
    schemes = report["schemes"]
    outcomes = schemes["outcomes"]
    budget = sections["budget"]
    parts.append(
        _section(
            "schemes",
            "Regelingen om een cursus te betalen",
            [
                '<p class="utrecht-paragraph">Naar welke regelingen Leerwijzer keek, en of die '
                "regeling paste.</p>",
                _region_note(schemes["region_only"]),
                _chart("schemes", "Gesprekken per regeling en uitkomst"),
                table(
                    "Gesprekken per regeling en uitkomst",
                    ["Regeling", *(o["label"] for o in outcomes), "Totaal"],
                    (
                        [r["label"], *(_count(r[o["code"]]) for o in outcomes), _count(r["total"])]
                        for r in schemes["rows"]
                    ),
                ),  # fmt: skip
                f'<h3 class="desk-heading-3">{_e(budget["title"])}</h3>',
                f'<p class="utrecht-paragraph">{_e(budget["description"])}</p>',
                _region_note(budget["region_only"]),
                _chart("budget", budget["title"]),
                table(
                    budget["title"],
                    [budget["column"], "Gesprekken"],
                    ([b["label"], _count(b["conversations"])] for b in budget["bars"]),
                ),
            ],
        )
    )
    for section_id in ("help", "channel", "age"):
        parts.append(_bar_section(sections[section_id]))
    return "".join(parts)


def _bar_section(section: dict[str, Any]) -> str:
    return _section(
        section["id"],
        section["title"],
        [
            f'<p class="utrecht-paragraph">{_e(section["description"])}</p>',
            _region_note(section["region_only"]),
            _chart(section["id"], section["title"]),
            table(
                section["title"],
                [section["column"], "Gesprekken"],
                ([b["label"], _count(b["conversations"])] for b in section["bars"]),
            ),
        ],
    )


def _options(values: Iterable[tuple[str, str]], chosen: str) -> str:
    return "".join(
        f'<option value="{_e(value)}"{" selected" if value == chosen else ""}>{_e(text)}</option>'
        for value, text in values
    )


def render_report(report: dict[str, Any], periods: list[dict[str, Any]]) -> str:
    """The report page: escaped values in the template, the figures for the charts as JSON."""
    data = json.dumps(report, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    summary = "".join(
        f'<li class="utrecht-unordered-list__item">{_e(sentence)}</li>'
        for sentence in report["summary"]
    )
    place = report["place_label"]
    title = f"Inzichten {report['period_label']}, {place}"
    kind = "Kwartaalrapport" if report["grain"] == "quarter" else "Maandrapport"
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        title=_e(title),
        heading=_e(f"{kind} {report['period_label']}"),
        place=_e(place[0].upper() + place[1:]),
        period=_e(report["period_label"]),
        k=_e(report["k"]),
        k_explanation=_e(report["k_explanation"]),
        hidden_note=_e(report["hidden_note"]),
        summary=summary,
        period_options=_options(((p["period"], p["label"]) for p in periods), report["period"]),
        place_options=_options(
            [("", "Hele regio"), *((m, m) for m in report["municipalities"])],
            report["municipality"] or "",
        ),
        csv_href=_e(f"{API}/export.csv?periode={report['period']}"),
        sections=report_sections(report),
        data=data,
    )


# -- the routes ---------------------------------------------------------------------------------

Period = Annotated[str | None, Query(max_length=10)]
Place = Annotated[str | None, Query(max_length=80)]


def insights_router(
    insights: Callable[[], InsightsStore],
    audit: DeskStore,
    session_of: Callable[..., Session],
    page: Callable[..., Response],
) -> APIRouter:
    """The routes of the insights pages. `session_of` is the desk's dependency for a signed-in
    session (401 without); `page(request, name, roles=..., render=...)` answers a page."""
    router = APIRouter()

    def reader(session: Annotated[Session, Depends(session_of)]) -> Session:
        if session.user.role not in READERS:
            raise HTTPException(403, NOT_ALLOWED)
        return session

    Reader = Annotated[Session, Depends(reader)]

    def place_query(gemeente: str | None) -> str | None:
        return (gemeente or "").strip() or None

    def where(report: dict[str, Any]) -> str:
        return f"{report['period']} {report['municipality'] or 'regio'}"

    @router.get(PAGE)
    def dashboard(request: Request) -> Response:
        return page(request, "insights.html", roles=READERS)

    @router.get(REPORT_PAGE)
    def report_page(request: Request, periode: Period = None, gemeente: Place = None) -> Response:
        def render(session: Session) -> Response:
            store = insights()
            report = report_for(store, periode, place_query(gemeente))
            audit.log(session.user.username, "read insights report", where(report))
            return HTMLResponse(render_report(report, _periods(store)))

        return page(request, "", roles=READERS, render=render)

    @router.get(API)
    def overview(session: Reader) -> dict[str, Any]:
        store = insights()
        return {
            "periods": _periods(store),
            "municipalities": municipalities(store.cells(view="demand")),
            "labels": labels.label_maps(),
        }

    @router.get(f"{API}/overzicht")
    def figures(session: Reader, periode: Period = None, gemeente: Place = None) -> dict[str, Any]:
        report = report_for(insights(), periode, place_query(gemeente))
        audit.log(session.user.username, "read insights dashboard", where(report))
        return report

    @router.get(f"{API}/cellen")
    def cells(
        session: Reader,
        periode: Period = None,
        weergave: Annotated[str | None, Query(max_length=20)] = None,
    ) -> dict[str, Any]:
        store = insights()
        if periode is not None and periode not in store.periods():
            raise HTTPException(404, NO_PERIOD)
        if weergave is not None and weergave not in VIEWS:
            raise HTTPException(404, "Deze weergave bestaat niet.")
        found = list(store.cells(view=weergave, periods=[periode] if periode else None))
        audit.log(
            session.user.username, "read insight cells", f"{periode or 'all'} {weergave or 'all'}"
        )
        return {"cells": found}

    @router.get(f"{API}/export.csv")
    def export(session: Reader, periode: Period = None) -> Response:
        from services.insights.export import published_csv

        store = insights()
        if periode is not None and periode not in store.periods():
            raise HTTPException(404, NO_PERIOD)
        text = published_csv(store, periods=[periode] if periode else None)
        audit.log(session.user.username, "downloaded insights CSV", periode or "all")
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{csv_filename(periode)}"'},
        )

    return router
