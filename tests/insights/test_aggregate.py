"""Facts to published cells (services/insights/aggregate.py) and the CSV (export.py).

The property tests recount every view straight from the generated facts, without the store or
the aggregation code, and check what was published against that: no published cell counts
fewer than k distinct conversations, and no withheld entry follows from what was published.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from services.insights.aggregate import (
    NEARBY_KM,
    VIEWS,
    aggregate,
    count_views,
    periods_to_publish,
    protect_views,
)
from services.insights.export import HEADER, published_csv
from services.insights.store import (
    ALL,
    FACT_TABLES,
    ConversationFacts,
    Handover,
    HelpShown,
    InsightsStore,
    SchemeCheck,
    Search,
    cells_table,
    publications_table,
)
from services.insights.suppression import period_of
from tests.insights.test_suppression import Table, disclosed

OCT, NOV, DEC = date(2026, 10, 26), date(2026, 11, 9), date(2026, 11, 30)  # Mondays
WEEKS = (OCT, date(2026, 11, 2), NOV, date(2026, 11, 23), DEC)  # 30 Nov: Thursday in December
RANK = {"eligible": 0, "maybe": 1, "not_eligible": 2}
ONE_DIMENSIONAL = {"language", "channel", "age", "budget", "handover", "help"}


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    store = InsightsStore(f"sqlite:///{tmp_path_factory.mktemp('insights')}/i.db")
    yield store
    store.close()


@pytest.fixture
def store(tmp_path):
    store = InsightsStore(f"sqlite:///{tmp_path}/i.db")
    yield store
    store.close()


def empty(store: InsightsStore) -> InsightsStore:
    with store.engine.begin() as connection:
        for table in (*FACT_TABLES, cells_table, publications_table):
            connection.execute(table.delete())
    return store


def many(count: int, **fields) -> list[ConversationFacts]:
    return [ConversationFacts(**{"week": NOV, **fields}) for _ in range(count)]


def published(store: InsightsStore, period: str) -> dict[str, dict[tuple[str, str], dict]]:
    found: dict[str, dict[tuple[str, str], dict]] = defaultdict(dict)
    for cell in store.cells(periods=[period]):
        found[cell["view"]][(cell["row"], cell["col"])] = cell
    return found


# -- the independent recount ---------------------------------------------------------------------


def recount(facts: list[ConversationFacts], grain: str = "month") -> dict:
    """(period, view) -> entry -> (units, distinct conversations), straight from the facts."""
    units: dict[tuple[str, str], set] = defaultdict(set)
    for number, fact in enumerate(facts):
        period = period_of(fact.week, grain)

        def unit(view: str, row: str, col: str, number: int = number, period: str = period):
            units[(period, view)].add((number, row, col))

        unit("language", ALL, fact.language)
        unit("channel", ALL, fact.channel)
        if fact.age_band is not None:
            unit("age", ALL, fact.age_band)
        if fact.budget_checked:
            unit("budget", ALL, "nothing_fits" if fact.nothing_fits else "something_fits")
        for search in fact.searches:
            unit("demand", search.subject, search.municipality or "unknown")
        best: dict[str, str] = {}
        for check in fact.schemes:
            if check.scheme not in best or RANK[check.outcome] < RANK[best[check.scheme]]:
                best[check.scheme] = check.outcome
        for scheme, outcome in best.items():
            unit("schemes", scheme, outcome)
        for handover in fact.handovers:
            unit("handover", ALL, handover.reason)
        for shown in fact.help:
            unit("help", ALL, shown.help_kind)
    tables: dict = {}
    for (period, view), found in units.items():
        per_entry: dict[tuple[str, str], list] = defaultdict(list)
        for number, row, col in found:
            keys = {(row, col), (row, ALL), (ALL, col), (ALL, ALL)}
            for key in keys:
                per_entry[key].append(number)
        tables[(period, view)] = {
            key: (len(numbers), len(set(numbers))) for key, numbers in per_entry.items()
        }
    return tables


def check_published(store: InsightsStore, facts: list[ConversationFacts], k: int) -> None:
    """(a) no published cell below k, every published count right; (b) nothing disclosed."""
    tables = recount(facts)
    periods = {period for period, _ in tables}
    assert set(store.periods()) == periods
    for period in periods:
        cells = published(store, period)
        assert set(cells) <= set(VIEWS)
        audit = []
        for view in VIEWS:
            truth = tables.get((period, view), {})
            for key, cell in cells.get(view, {}).items():
                assert key in truth, (period, view, key)
                units, conversations = truth[key]
                assert conversations >= k, (period, view, key, conversations)
                assert cell["conversations"] == units, (period, view, key)
            entries = {key: units for key, (units, _) in truth.items()}
            withheld = {key for key in entries if key not in cells.get(view, {})}
            audit.append(Table(view, entries, withheld, view in ONE_DIMENSIONAL))
        language_channel = [t for t in audit if t.name in ("language", "channel")]
        shared = [("language", (ALL, ALL)), ("channel", (ALL, ALL))]
        assert disclosed(language_channel, shared) == [], period
        for one in audit:
            if one.name not in ("language", "channel"):
                assert disclosed([one]) == [], (period, one.name)
        total = tables[(period, "language")][(ALL, ALL)][1]
        if total < k:
            assert not cells
            assert store.publication(period)["suppressed"] == sum(
                len(tables.get((period, view), {})) for view in VIEWS
            )


# -- hypothesis: generated facts -----------------------------------------------------------------

searches = st.builds(
    Search,
    subject=st.sampled_from(["dutch", "digital", "any"]),
    municipality=st.sampled_from([None, "Breda", "Breda", "Zundert", "online"]),
    results=st.sampled_from([0, 1, 10]),
    nearest_km=st.sampled_from([None, 3.0, 20.0]),
    free_share=st.sampled_from([None, 0.0, 0.5]),
)
facts_strategy = st.builds(
    ConversationFacts,
    week=st.sampled_from(WEEKS),
    language=st.sampled_from(["nl", "nl", "en", "ar"]),
    channel=st.sampled_from(["widget", "widget", "kiosk"]),
    age_band=st.sampled_from([None, "<27", "67+"]),
    budget_checked=st.booleans(),
    nothing_fits=st.sampled_from([None, True, False]),
    searches=st.lists(searches, max_size=3).map(tuple),
    schemes=st.lists(
        st.builds(
            SchemeCheck,
            scheme=st.sampled_from(["stap-budget", "uaf"]),
            outcome=st.sampled_from(list(RANK)),
        ),
        max_size=3,
    ).map(tuple),
    help=st.lists(
        st.builds(
            HelpShown, help_kind=st.sampled_from(["dutch", "digital-skills"]), found=st.just(2)
        ),
        max_size=2,
    ).map(tuple),
    handovers=st.lists(
        st.builds(Handover, reason=st.sampled_from(["asked", "help", "no_course"])), max_size=2
    ).map(tuple),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(facts_strategy, min_size=10, max_size=80), st.integers(2, 6))
def test_published_cells_are_k_anonymous_and_disclose_no_withheld_entry(shared_store, facts, k):
    store = empty(shared_store)
    store.add_facts(facts)

    result = aggregate(store, k=k, all_periods=True)

    event(f"published: {'some' if result.cells else 'none'}")
    event(f"withheld: {'some' if result.suppressed else 'none'}")
    check_published(store, facts, k)


def test_the_audit_catches_a_disclosure_without_complementary_suppression(store):
    facts = (
        many(30, language="nl", searches=(Search("dutch", "Breda", 4),))
        + many(3, language="en", searches=(Search("dutch", "Zundert", 4),))
        + many(25, language="nl", searches=(Search("digital", "Zundert", 4),))
    )
    store.add_facts(facts)
    views = count_views(store, "2026-11")
    truth = recount(facts)

    def audit(cells: list) -> list:
        shown = {(view, row, col) for view, row, col, *_ in cells}
        found = []
        for view in ("demand", "language"):
            entries = {key: units for key, (units, _) in truth[("2026-11", view)].items()}
            withheld = {key for key in entries if (view, *key) not in shown}
            found += disclosed([Table(view, entries, withheld, view == "language")])
        return found

    careless, _ = protect_views(views, 10, complementary=False)
    assert (("demand", ("dutch", "Zundert")), 3) in audit(careless)
    assert (("language", (ALL, "en")), 3) in audit(careless)
    careful, withheld = protect_views(views, 10)
    assert audit(careful) == []
    assert withheld == 4 + 2  # dutch in Zundert with 3 more; en with nl (the total stays)


# -- examples ------------------------------------------------------------------------------------


def test_demand_counts_and_measures(store):
    near = Search("dutch", "Breda", results=5, nearest_km=3.0, free_share=0.0)
    far = Search("dutch", "Breda", results=5, nearest_km=25.0, free_share=0.5)
    nothing = Search("dutch", "Breda", results=0)
    online = Search("dutch", "online", results=4, nearest_km=None, free_share=None)
    facts = (
        many(6, searches=(near,))
        + many(3, searches=(far,))
        # two searches in Breda, one unit: nearest 3.0 km, most results, largest free share
        + many(3, searches=(nothing, near))
        + many(10, searches=(online,))
    )
    store.add_facts(facts)

    result = aggregate(store, k=3, all_periods=True)

    assert result.periods == ["2026-11"] and result.suppressed == 0
    demand = published(store, "2026-11")["demand"]
    breda = demand[("dutch", "Breda")]
    assert breda["conversations"] == 12
    assert breda["measures"] == {
        "no_result_pct": 0,
        "no_nearby_pct": 25,  # 3 of 12 further than NEARBY_KM
        "median_km": 3.0,
        "paid_only_pct": 75,  # 9 of 12 found only paid courses
    }
    assert NEARBY_KM == 15.0
    assert demand[("dutch", "online")]["measures"] == {
        "no_result_pct": 0,
        "no_nearby_pct": None,  # online: no place to be near to
        "median_km": None,
        "paid_only_pct": None,  # no free share known
    }
    total = demand[(ALL, ALL)]
    assert total["conversations"] == 22
    assert total["measures"]["no_nearby_pct"] == 25 and total["measures"]["median_km"] == 3.0
    assert total["measures"]["paid_only_pct"] == 75


def test_every_view_and_its_margins(store):
    store.add_facts(
        many(12, language="nl", channel="widget", age_band="<27", budget_checked=True,
             nothing_fits=True,
             schemes=(SchemeCheck("uaf", "maybe"), SchemeCheck("uaf", "eligible")),
             help=(HelpShown("dutch", 2), HelpShown("dutch", 3)),
             handovers=(Handover("asked"), Handover("help")))
        + many(11, language="en", channel="kiosk", budget_checked=True,
               schemes=(SchemeCheck("uaf", "not_eligible"),))
    )  # fmt: skip

    aggregate(store, k=10, all_periods=True)

    cells = published(store, "2026-11")
    counts = {
        view: {key: cell["conversations"] for key, cell in found.items()}
        for view, found in cells.items()
    }
    assert counts["language"] == {(ALL, ALL): 23, (ALL, "nl"): 12, (ALL, "en"): 11}
    assert counts["channel"] == {(ALL, ALL): 23, (ALL, "widget"): 12, (ALL, "kiosk"): 11}
    assert counts["age"] == {(ALL, ALL): 12, (ALL, "<27"): 12}
    assert counts["budget"] == {(ALL, ALL): 23, (ALL, "nothing_fits"): 12,
                                (ALL, "something_fits"): 11}  # fmt: skip
    assert counts["schemes"] == {("uaf", "eligible"): 12, ("uaf", "not_eligible"): 11,
                                 ("uaf", ALL): 23, (ALL, "eligible"): 12,
                                 (ALL, "not_eligible"): 11, (ALL, ALL): 23}  # fmt: skip
    assert counts["handover"] == {(ALL, ALL): 24, (ALL, "asked"): 12, (ALL, "help"): 12}
    assert counts["help"] == {(ALL, ALL): 12, (ALL, "dutch"): 12}
    other = [cell for view, found in cells.items() if view != "demand" for cell in found.values()]
    assert other and all(cell["measures"] == {} for cell in other)


def test_a_period_with_fewer_than_k_conversations_publishes_nothing(store):
    store.add_facts(many(4, week=OCT) + many(12, week=NOV))

    result = aggregate(store, k=5, all_periods=True)

    assert result.periods == ["2026-10", "2026-11"]
    assert published(store, "2026-10") == {}
    assert store.publication("2026-10")["suppressed"] == 4  # language, channel, 2 totals
    assert store.publication("2026-11")["suppressed"] == 0
    assert store.periods() == ["2026-11", "2026-10"]


def test_which_periods_are_republished(store):
    store.add_facts(many(10, week=date(2026, 6, 1)) + many(10, week=OCT) + many(10, week=NOV))
    store.publish("2026-06", "month", 10, [], 0)
    store.publish("2026-10", "month", 10, [], 0)

    # November and October (current and previous); June is published already
    assert periods_to_publish(store, today=date(2026, 11, 20)) == ["2026-10", "2026-11"]
    # in January: nothing recent, November has no publication yet
    assert periods_to_publish(store, today=date(2027, 1, 6)) == ["2026-11"]
    assert periods_to_publish(store, all_periods=True) == ["2026-06", "2026-10", "2026-11"]
    assert periods_to_publish(store, "quarter", all_periods=True) == ["2026-Q2", "2026-Q4"]
    result = aggregate(store, k=10, today=date(2026, 11, 20))
    assert result.periods == ["2026-10", "2026-11"] and result.cells == 2 * 4
    assert aggregate(store, k=10, periods=["2026-Q4"], grain="quarter").periods == ["2026-Q4"]
    assert store.publication("2026-Q4")["grain"] == "quarter"
    assert store.periods() == ["2026-Q4"]  # one grain at a time: the months are withdrawn
    assert {cell["period"] for cell in store.cells()} == {"2026-Q4"}
    assert published(store, "2026-Q4")["language"][(ALL, ALL)]["conversations"] == 20
    with pytest.raises(ValueError):
        aggregate(store, periods=["2026-Q4"])


def test_the_csv_holds_the_published_cells_only(store):
    store.add_facts(
        many(20, searches=(Search("dutch", "Breda", 3, nearest_km=4.25, free_share=0.0),))
        + many(2, language="ar", searches=(Search("dutch", "Zundert", 0),))
    )
    aggregate(store, k=10, all_periods=True)

    text = published_csv(store)

    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == HEADER
    assert rows[0][:5] == ["periode", "onderdeel", "rij", "kolom", "gesprekken"]
    body = rows[1:]
    assert len(body) == len(list(store.cells()))
    # Zundert has 2 conversations, so Breda, the only other place, is withheld too
    assert ["2026-11", "demand", "dutch", "*", "22", "9", "9", "4.3", "100"] in body
    assert not any("Zundert" in row or "Breda" in row or "ar" in row for row in body)
    assert [row[1] for row in body][:1] == ["demand"]
    assert all(row[5:] == ["", "", "", ""] for row in body if row[1] != "demand")
    assert published_csv(store, periods=["2026-10"]).splitlines() == [",".join(HEADER)]


def test_the_same_cells_on_postgresql(postgres_cluster, store):
    from tests.support.postgres import new_database

    facts = (
        many(30, searches=(Search("dutch", "Breda", 3, nearest_km=2.0),))
        + many(4, searches=(Search("dutch", "Zundert", 0),))
        + many(15, week=OCT, language="en", schemes=(SchemeCheck("uaf", "maybe"),))
    )
    other = InsightsStore(new_database(postgres_cluster, "insights"))
    try:
        for each in (store, other):
            each.add_facts(facts)
            aggregate(each, k=10, all_periods=True)
        strip = [{k: v for k, v in c.items() if k != "published_at"} for c in store.cells()]
        assert strip == list(other.cells()) and strip
    finally:
        other.close()
