"""Headless Chromium (Debian's chromium + chromedriver) against the whole stack.

One stack for the whole browser package (free ports, its own VAR_DIR), one browser per
module. Skipped with a reason when Chromium, chromedriver, selenium or the built web/vendor
files are missing; LEERWIJZER_REQUIRE_BROWSER=1 (set by `make test`) turns that into a
failure.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import requests

from bot.settings import PROJECT_ROOT
from tests.support.artifacts import artifact_path

CHROMIUM = Path(os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
VENDOR = PROJECT_ROOT / "web" / "vendor"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (.venv/bin/pip install selenium)"
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return "Chromium is missing: deploy/local/apt-install.sh chromium chromium-driver"
    if not (VENDOR / "manifest.json").exists():
        return "web/vendor is not built: make web-build"
    return None


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives headless Chromium against the stack")
    config.addinivalue_line("markers", "no_browser: a test in tests/browser that needs no browser")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _browser_available(request):
    if request.node.get_closest_marker("no_browser"):
        return
    reason = _missing()
    if reason and os.environ.get("LEERWIJZER_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="package")
def stack(shared_stack):
    """The session's stack (tests/conftest.py), checked once for a working Socket.IO."""
    config = shared_stack.config
    # The browser's pages come from the stack's own web server.
    assert f"http://127.0.0.1:{config.web_port}" in config.cors_origins
    if not hasattr(shared_stack, "socketio_problem"):
        shared_stack.socketio_problem = socketio_problem(config)
    return shared_stack


def socketio_problem(config) -> str | None:
    """Why answers do not reach a browser over Socket.IO, or None when they do.

    Checked once, so that a broken channel fails every browser test at once and clearly
    instead of each one timing out.
    """
    import socketio

    answers: list = []
    client = socketio.Client(reconnection=False, websocket_extra_options={"origin": config.web_url})
    client.on("bot_uttered", answers.append)
    try:
        client.connect(config.rasa_url, transports=["websocket"], wait_timeout=10)
        client.emit("session_request", {"session_id": "socketioprobe0123456789"})
        client.emit("user_uttered", {"message": "/greet", "session_id": "socketioprobe0123456789"})
        deadline = time.monotonic() + 20
        while not answers and time.monotonic() < deadline:
            time.sleep(0.1)
    except socketio.exceptions.ConnectionError as exc:
        return f"the web origin {config.web_url} cannot connect to Rasa's Socket.IO: {exc}"
    finally:
        client.disconnect()
    if not answers:
        return (
            "Rasa's socketio channel does not deliver answers to the session's room "
            "(Rasa 3.6 does not await python-socketio's enter_room, RasaHQ/rasa#13027): "
            "credentials.yml must use bot.channels.socketio.SocketIOInput"
        )
    return None


@pytest.fixture
def working_socketio(stack):
    if stack.socketio_problem:
        pytest.fail(stack.socketio_problem)
    return stack


@pytest.fixture(scope="module")
def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="leerwijzer-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


def fresh_tab(driver):
    """The only tab is a new one: its own sessionStorage, nothing left from the previous test."""
    old = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.switch_to.window(old)
    driver.close()
    driver.switch_to.window(driver.window_handles[-1])
    driver.set_window_size(1280, 900)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.get_log("browser")  # drop what earlier tests logged
    return driver


@pytest.fixture
def page(driver, working_socketio):
    return fresh_tab(driver)


def wait_for(condition, timeout: float = 30.0, interval: float = 0.2, message: str = ""):
    """Polls `condition()` until it returns something truthy; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except Exception as exc:  # noqa: BLE001 - elements come and go while rendering
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    raise AssertionError(message or f"timed out waiting; last value {last!r}")


def axe_violations(driver, context: str | None = None) -> list[dict]:
    """Runs axe-core (from web/vendor, injected here) for WCAG 2.1 A and AA."""
    source = (VENDOR / "axe.min.js").read_text(encoding="utf-8")
    driver.execute_script(source)
    result = driver.execute_async_script(
        """
        const [context, tags, done] = arguments;
        axe.run(context || document, {runOnly: {type: 'tag', values: tags},
                                      resultTypes: ['violations']})
          .then(r => done(JSON.stringify(r.violations)))
          .catch(e => done(JSON.stringify([{id: 'axe-error', description: String(e)}])));
        """,
        context,
        WCAG_TAGS,
    )
    return json.loads(result)


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [", ".join(node.get("target", [])) for node in violation.get("nodes", [])[:5]]
        lines.append(f"{violation['id']}: {violation.get('help', '')} -> {targets}")
    return "\n".join(lines)


def save_screenshot(driver, name: str) -> Path:
    """A PNG for the docs, reduced to 64 colours: small enough to commit, still sharp.

    Written to docs/screenshots/ by `make screenshots` only (tests/support/artifacts.py).

    The text cursor is hidden while it is taken: it blinks, and a screenshot that differs
    from run to run would change the committed file after every `make test`.
    """
    from PIL import Image  # Pillow comes with Rasa (matplotlib)

    path = artifact_path(f"screenshots/{name}.png")
    caret = "const e = document.activeElement; if (e) e.style.caretColor = arguments[0];"
    driver.execute_script(caret, "transparent")
    try:
        png = driver.get_screenshot_as_png()
    finally:
        driver.execute_script(caret, "")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


def severe_console_errors(driver) -> list[str]:
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry.get("level") == "SEVERE" and "favicon.ico" not in entry.get("message", "")
    ]


def catalog_course_names(stack, topic: str = "digital", municipality: str = "Breda") -> list[str]:
    catalog = requests.get(
        f"{stack.config.catalog_url}/courses",
        params={"topic": topic, "municipality": municipality, "pageSize": 10},
        timeout=5,
    ).json()
    return [course["name"][0]["value"] for course in catalog["items"]][:3]


def user_events(stack, session_id: str) -> list[dict]:
    """User messages Rasa still holds for a conversation, through its HTTP API."""
    response = requests.get(
        f"{stack.config.rasa_url}/conversations/{session_id}/tracker",
        params={"token": stack.config.rasa_auth_token},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return [e for e in response.json().get("events", []) if e.get("event") == "user"]
