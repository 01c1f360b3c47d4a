"""The insights dashboard and the monthly report (services/desk/insights.py) in headless Chromium.

Like tests/browser/test_desk_pages.py, only the desk runs: a real uvicorn process (through
tools/bench_desk.DeskProcess) with its own SQLite files, its accounts made with its command
line, and an insights store filled with published cells (tests/desk/insights_sample.py). The
insights job is off, so nothing replaces them. The charts are Vega-Lite, drawn as SVG under the
desk's strict Content-Security-Policy: a chart that needed eval would log a CSP violation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from services.insights.store import InsightsStore
from tests.browser.conftest import (
    _missing,
    fresh_tab,
    save_screenshot,
    severe_console_errors,
    wait_for,
)
from tests.browser.test_desk_pages import (
    DESK_SETTINGS,
    TOKEN,
    DeskServer,
    _cli,
    assert_accessible,
    csp_errors,
    css,
    sign_in,
    visible,
)
from tests.desk.insights_sample import GAP_PLACE, LATEST, publish_sample
from tests.support.ports import free_port
from tools.bench_desk import DeskProcess

PARTNER = ("gemeente-breda", "Gemeente Breda", "partner")
ADMIN = ("beheer", "Bea Beheer", "admin")
ADVISOR = ("anna", "Anna de Vries", "advisor")
DESK_ID = "taalhuis"
# The charts of the dashboard and of the report, each with a table of the same numbers.
CHARTS = ("trend", "language", "handover", "schemes", "budget", "help", "channel", "age")
A4_CSS_PIXELS = 700  # A4 (210 mm) less the report's margins of 12 mm, at 96 px per inch


@pytest.fixture(scope="module")
def desk(tmp_path_factory) -> Iterator[DeskServer]:
    reason = _missing()
    if reason and os.environ.get("LEERWIJZER_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)
    var_dir = tmp_path_factory.mktemp("insights-desk")
    database_url = f"sqlite:///{var_dir / 'desk.db'}"
    insights_url = f"sqlite:///{var_dir / 'insights.db'}"
    env = {k: v for k, v in os.environ.items() if k not in DESK_SETTINGS}
    env.update(VAR_DIR=str(var_dir), DESK_DATABASE_URL=database_url)
    _cli(env, "add-desk", DESK_ID, "--name", "Taalhuis Test", "--hours", "ma-zo 00:00-24:00")
    for username, name, role in (PARTNER, ADMIN, ADVISOR):
        desk_args = ("--desk", DESK_ID) if role == "advisor" else ()
        _cli(env, "add-user", username, "--name", name, "--role", role, *desk_args,
             "--password-stdin")  # fmt: skip
    store = InsightsStore(insights_url)
    publish_sample(store)
    store.close()
    process = DeskProcess(
        database_url,
        var_dir,
        f"http://127.0.0.1:{free_port()}",
        token=TOKEN,
        INSIGHTS_DATABASE_URL=insights_url,
        INSIGHTS_EVERY_MINUTES="0",
    )
    try:
        try:
            process.wait_ready()
        except RuntimeError as exc:
            pytest.fail(str(exc))
        yield DeskServer(process.url, var_dir, process)
    finally:
        process.stop()


@pytest.fixture
def tab(desk, driver):
    fresh_tab(driver)
    driver.get(f"{desk.url}/desk/health")
    driver.delete_all_cookies()
    return driver


def charts_drawn(driver) -> dict[str, str]:
    """data-rendered of every chart on the page, by its name, once all have finished."""
    states = driver.execute_script(
        """
        const found = {};
        document.querySelectorAll('[data-chart]').forEach(e => {
          found[e.dataset.chart] = e.dataset.rendered || '';
        });
        return found;
        """
    )
    return states if states and all(states.values()) else {}


def assert_charts_are_svg_with_tables(driver, table_of) -> None:
    states = wait_for(lambda: charts_drawn(driver), timeout=30, message="charts not drawn")
    assert set(states) == set(CHARTS), states
    assert set(states.values()) == {"true"}, states
    for name in CHARTS:
        chart = css(driver, f'[data-chart="{name}"]')
        svgs = chart.find_elements(By.CSS_SELECTOR, "svg")
        assert len(svgs) == 1, name
        assert svgs[0].get_attribute("role") == "img" and svgs[0].get_attribute("aria-label")
        assert not chart.find_elements(By.CSS_SELECTOR, "canvas"), name
        table = table_of(chart)
        assert table.find_element(By.CSS_SELECTOR, "caption").get_attribute("textContent")
        assert table.find_elements(By.CSS_SELECTOR, "tbody tr"), name


def test_partner_reads_the_dashboard(tab, desk):
    sign_in(tab, desk, PARTNER)
    # A partner's home is the dashboard; the queue and call-backs are not in the menu.
    wait_for(lambda: tab.current_url.endswith("/desk/inzichten"), timeout=15)
    assert css(tab, "#nav-insights").is_displayed()
    for hidden in ("#nav-queue", "#nav-callbacks", "#nav-admin"):
        assert not css(tab, hidden).is_displayed(), hidden

    def table_next_to(chart):
        section = chart.find_element(By.XPATH, "./ancestor::section[1]")
        return section.find_element(By.CSS_SELECTOR, "details table")

    assert_charts_are_svg_with_tables(tab, table_next_to)
    # Vega's expressions ran in vega-interpreter (web/vendor), not through eval.
    assert tab.execute_script("return typeof vega.expressionInterpreter.operator") == "function"
    summary = css(tab, "#insights-summary").text
    assert f"Nederlands leren (NT2) in {GAP_PLACE}" in summary, summary
    first_gap = css(tab, "#gaps-rows tr").text
    assert first_gap.startswith("Nederlands leren (NT2) Roosendaal 40"), first_gap
    assert "minder dan 10 gesprekken" in css(tab, "#insights-hidden-note").text
    assert "minstens 10" in css(tab, "#insights-k").text
    assert css(tab, "#insights-period").get_attribute("value") == LATEST
    assert (
        css(tab, "#insights-csv-link")
        .get_attribute("href")
        .endswith(f"/desk/api/inzichten/export.csv?periode={LATEST}")
    )
    assert not csp_errors(tab), csp_errors(tab)
    assert_accessible(tab, "insights dashboard")
    # The tables opened, as a screen reader user or a keyboard user opens them.
    tab.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert_accessible(tab, "insights dashboard with its tables open")
    tab.execute_script("document.querySelectorAll('details').forEach(d => d.open = false)")
    save_screenshot(tab, "desk-insights")

    # The table of gaps sorts by a column, and says so.
    sort = '#gaps-table [data-sort="conversations"]'
    css(tab, sort).click()
    wait_for(lambda: css(tab, "#gaps-rows tr").text.startswith("Nederlands leren (NT2) Breda 120"))
    assert css(tab, f"{sort}").find_element(By.XPATH, "..").get_attribute("aria-sort") == (
        "descending"
    )
    css(tab, sort).click()
    wait_for(lambda: css(tab, "#gaps-rows tr").text.startswith("Eigen woorden"))

    # One municipality: its searches, the region's other figures.
    Select(css(tab, "#insights-place")).select_by_value("Breda")
    css(tab, "#insights-show").click()
    wait_for(lambda: css(tab, "#insights-content").get_attribute("data-place") == "Breda")
    assert_charts_are_svg_with_tables(tab, table_next_to)
    assert "in Breda" in css(tab, "#insights-summary").text
    assert "gemeente=Breda" in tab.current_url
    assert "Deze getallen gaan over de hele regio." in css(tab, "#insights-sections").text
    assert not csp_errors(tab), csp_errors(tab)
    assert not severe_console_errors(tab)


def test_report_for_a_municipality_prints_on_a4(tab, desk):
    sign_in(tab, desk, PARTNER)
    tab.get(f"{desk.url}/desk/inzichten/rapport?periode={LATEST}&gemeente={GAP_PLACE}")
    visible(tab, "#report-summary")

    def table_after(chart):
        section = chart.find_element(By.XPATH, "./ancestor::section[1]")
        figure = chart.find_element(By.XPATH, "./ancestor::figure[1]")
        return figure.find_element(By.XPATH, "following::table[1]") if section else None

    assert_charts_are_svg_with_tables(tab, table_after)
    wait_for(lambda: tab.execute_script("return document.body.dataset.charts") == "ready")
    assert css(tab, "h1").text == "Maandrapport november 2026"
    summary = css(tab, "#report-summary").text
    assert f"Nederlands leren (NT2) in {GAP_PLACE}" in summary, summary
    assert css(tab, "#report-print").is_displayed()
    assert not csp_errors(tab), csp_errors(tab)
    assert not severe_console_errors(tab)
    assert_accessible(tab, "monthly report")
    save_screenshot(tab, "desk-insights-report")

    # On paper: no navigation or form, and nothing wider than A4.
    tab.set_window_size(A4_CSS_PIXELS + 20, 1000)
    tab.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        for selector in (".desk-header", ".insights-filter", ".desk-skip-link"):
            assert not css(tab, selector).is_displayed(), selector
        wide = tab.execute_script(
            """
            const limit = document.documentElement.clientWidth;
            return Array.from(document.querySelectorAll('main svg, main table'))
              .filter(e => e.getBoundingClientRect().right > limit + 1)
              .map(e => e.closest('section') ? e.closest('section').id || e.tagName : e.tagName);
            """
        )
        assert not wide, wide
        pdf = tab.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69})
        assert pdf.get("data")
    finally:
        tab.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_report_for_the_region_and_an_admin(tab, desk):
    sign_in(tab, desk, ADMIN)
    assert css(tab, "#nav-insights").is_displayed() and css(tab, "#nav-admin").is_displayed()
    tab.get(f"{desk.url}/desk/inzichten/rapport")
    wait_for(lambda: tab.execute_script("return document.body.dataset.charts") == "ready")
    assert "De hele regio" in css(tab, ".insights-lead").text
    assert not csp_errors(tab), csp_errors(tab)
    assert_accessible(tab, "monthly report of the region")


def test_an_advisor_has_no_insights(tab, desk):
    sign_in(tab, desk, ADVISOR)
    assert not css(tab, "#nav-insights").is_displayed()
    tab.get(f"{desk.url}/desk/inzichten")
    assert "Dit mag u niet." in tab.find_element(By.TAG_NAME, "body").text
