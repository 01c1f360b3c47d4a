"""The production front in front of a running stack: Debian's nginx with
deploy/nginx/leerwijzer.conf (rendered for loopback by tools/scale.py, as `make test-scale`
runs it) serves web/ and passes Socket.IO and the REST channel on to Rasa. Headless Chromium
loads the widget and the kiosk through it and talks to Rasa over the WebSocket upgrade.

Its own stack, not the session's shared one: Rasa lets only the origins in CORS_ORIGINS open
a socket, and the pages here come from nginx's address, which production puts in
CORS_ORIGINS too (deploy/docker/production.env.example); the shared stack allows only its
development web server.
"""

from __future__ import annotations

import os
import uuid
from types import SimpleNamespace

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bot.launcher import StackError
from bot.web_server import WEB_ROOT, security_headers
from tests.browser.conftest import VENDOR, catalog_course_names, severe_console_errors, wait_for
from tests.support.binaries import missing_binary
from tests.support.ports import free_port
from tests.support.stack import running_stack
from tools.scale import ThrowawayNginx, nginx_binary

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _vendor_built():
    """web/vendor/ is served too; the browser tests check this in tests/browser/conftest.py."""
    if not (VENDOR / "manifest.json").exists():
        message = "web/vendor is not built: make web-build"
        if os.environ.get("LEERWIJZER_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


SECURITY_HEADERS = security_headers()  # production: connect-src 'self' only
NO_CACHE = "no-cache"  # kept, but asked for again every time (ETag, 304)
WEEK = "max-age=604800"
PAGES = ["/", "/index.html", "/privacy.html", "/kiosk/"]
OWN_FILES = [
    "/widget/leerwijzer-widget.js",
    "/widget/conversation.js",
    "/widget/strings.js",
    "/widget/widget.css",
    "/kiosk/kiosk.js",
    "/kiosk/kiosk.css",
    "/site/site.css",
]
VENDOR_FILES = ["/vendor/socket.io.min.js", "/vendor/nl-design-system.css"]


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    """nginx on a free loopback port in front of a stack whose CORS_ORIGINS is nginx's
    address, as production's is its public address."""
    try:
        nginx_binary()
    except StackError as exc:
        missing_binary(str(exc))
    rasa_port = free_port()
    nginx = ThrowawayNginx([f"127.0.0.1:{rasa_port}"])
    try:
        assert nginx.port != rasa_port
        nginx.start()
        with running_stack(
            tmp_path_factory.mktemp("var-nginx"), RASA_PORT=str(rasa_port), CORS_ORIGINS=nginx.url
        ) as stack:
            yield SimpleNamespace(stack=stack, nginx=nginx, url=nginx.url)
    finally:
        nginx.stop()


def get(front, path: str, **headers: str) -> requests.Response:
    return requests.get(f"{front.url}{path}", headers=headers, timeout=10)


def socketio_requests(front) -> list[tuple[str, str]]:
    """(method, status) of every /socket.io/ request nginx logged ("$msec $method $uri
    $status ...", tools/scale.py). A WebSocket is logged when it closes, with status 101."""
    lines = front.nginx.access_log.read_text(encoding="utf-8").splitlines()
    return [(f[1], f[3]) for f in (line.split() for line in lines) if f[2] == "/socket.io/"]


def close_tab(driver) -> None:
    """Closes the tab (its page and connections) and goes on in a new one."""
    old = driver.current_window_handle
    driver.switch_to.new_window("tab")
    new = driver.current_window_handle
    driver.switch_to.window(old)
    driver.close()
    driver.switch_to.window(new)


def bot_texts(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.lw-message--bot .lw-message__text'))"
        ".map(e => e.textContent)"
    )


def course_names(driver) -> list[str]:
    return [t.splitlines()[0] for t in bot_texts(driver) if "\nWaar:" in t]


def button(driver, text: str, selector: str = ".lw-choice"):
    for element in driver.find_elements(By.CSS_SELECTOR, selector):
        if element.is_displayed() and element.text.strip() == text:
            return element
    return None


# -- in the browser ---------------------------------------------------------------------------


def test_the_widget_talks_to_rasa_through_nginx_over_a_websocket(driver, front):
    expected = catalog_course_names(front.stack)
    assert expected, "the example catalog has computer courses near Breda"
    driver.get("about:blank")
    driver.get_log("browser")  # only what this page logs
    before = len(socketio_requests(front))

    driver.get(f"{front.url}/")
    wait_for(lambda: driver.execute_script("return Boolean(window.Leerwijzer?.widget)"))
    assert driver.execute_script("return window.LEERWIJZER_CONFIG.serverUrl") == front.url
    driver.find_element(By.CSS_SELECTOR, ".lw-launcher").click()
    # The greeting answers the widget's first message (/greet) over Socket.IO.
    wait_for(lambda: button(driver, "Een cursus zoeken"), message="no greeting with buttons")
    button(driver, "Een cursus zoeken").click()
    wait_for(lambda: any("Wat wilt u leren?" in t for t in bot_texts(driver)))
    field = driver.find_element(By.ID, "leerwijzer-input")
    field.send_keys("computercursus in Breda")
    field.send_keys(Keys.ENTER)
    wait_for(lambda: len(course_names(driver)) >= len(expected), message=str(bot_texts(driver)))
    assert course_names(driver)[: len(expected)] == expected

    # Everything came from nginx's address, and nothing the policy forbids was tried.
    origins = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)"
    )
    assert set(origins) == {front.url}
    assert severe_console_errors(driver) == []

    # Closing the tab closes the WebSocket; nginx then logs it: one upgrade (101), no long
    # polling (which would be GETs and POSTs with 200).
    close_tab(driver)
    try:
        wait_for(lambda: socketio_requests(front)[before:])
    except AssertionError:
        log = front.nginx.access_log.read_text("utf-8")
        raise AssertionError(f"nginx logged no Socket.IO request:\n{log}") from None
    assert socketio_requests(front)[before:] == [("GET", "101")]


def test_the_kiosk_talks_to_rasa_through_nginx(driver, front):
    """The kiosk has no fallback: it takes Rasa's address from nginx's /config.js."""
    driver.get("about:blank")
    driver.get_log("browser")
    driver.get(f"{front.url}/kiosk")  # redirected to /kiosk/
    wait_for(lambda: driver.execute_script("return window.Leerwijzer?.kiosk?.screen()") == "start")
    assert driver.current_url == f"{front.url}/kiosk/"
    wait_for(lambda: button(driver, "Nederlands", "button")).click()
    wait_for(lambda: bot_texts(driver), message="no greeting in the kiosk")
    assert severe_console_errors(driver) == []
    close_tab(driver)


# -- headers, caching, compression ------------------------------------------------------------


@pytest.mark.no_browser
def test_static_files_carry_the_security_headers_and_caching(front):
    for path in [*PAGES, *OWN_FILES, *VENDOR_FILES, "/config.js"]:
        response = get(front, path)
        assert response.status_code == 200, path
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
        cache = WEEK if path.startswith("/vendor/") else NO_CACHE
        assert response.headers.get("Cache-Control") == cache, path
        if path != "/config.js":
            file = WEB_ROOT / (path.strip("/") or "index.html")
            file = file / "index.html" if file.is_dir() else file
            assert response.content == file.read_bytes(), path
    assert (
        get(front, "/kiosk/kiosk.js").headers["Content-Type"].startswith("application/javascript")
    )
    assert get(front, "/widget/widget.css").headers["Content-Type"] == "text/css; charset=utf-8"


@pytest.mark.no_browser
def test_the_pages_differ_from_development_only_in_the_rasa_port(front):
    """The development server (bot/web_server.py) also lets the pages connect to the Rasa
    port; behind nginx Rasa is the pages' own origin."""

    def policy(response: requests.Response) -> dict[str, list[str]]:
        parts = response.headers["Content-Security-Policy"].split(";")
        return {name: values for name, *values in (p.split() for p in parts)}

    development = policy(requests.get(f"{front.stack.config.web_url}/", timeout=10))
    production = policy(get(front, "/"))
    rasa = [f"{s}://*:{front.stack.config.rasa_port}" for s in ("http", "https", "ws", "wss")]
    assert development == {**production, "connect-src": [*production["connect-src"], *rasa]}


@pytest.mark.no_browser
def test_own_files_are_revalidated_and_errors_not_cached(front):
    first = get(front, "/widget/leerwijzer-widget.js")
    again = get(front, "/widget/leerwijzer-widget.js", **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    missing = get(front, "/widget/missing.js")
    assert missing.status_code == 404
    assert "Cache-Control" not in missing.headers
    assert missing.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]


@pytest.mark.no_browser
@pytest.mark.parametrize("path", [*OWN_FILES, *VENDOR_FILES])
def test_javascript_and_css_are_gzipped(front, path):
    compressed = get(front, path, **{"Accept-Encoding": "gzip"})
    assert compressed.headers.get("Content-Encoding") == "gzip", path
    assert "Accept-Encoding" in compressed.headers.get("Vary", "")
    assert compressed.content == (WEB_ROOT / path.strip("/")).read_bytes()  # decompressed
    plain = get(front, path, **{"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.content == compressed.content


@pytest.mark.no_browser
def test_config_js_names_no_port_and_no_token(front):
    script = get(front, "/config.js").text
    assert "window.location.origin" in script
    assert str(front.stack.config.rasa_port) not in script
    assert front.stack.config.rasa_auth_token not in script


# -- what goes on to Rasa ---------------------------------------------------------------------


@pytest.mark.no_browser
def test_the_rest_channel_and_the_api_go_through_to_rasa(front):
    sender = f"nginx-{uuid.uuid4().hex[:12]}"
    answers = requests.post(
        f"{front.url}/webhooks/rest/webhook",
        json={"sender": sender, "message": "hallo"},
        timeout=60,
    )
    assert answers.status_code == 200 and answers.json(), answers.text
    tracker = requests.get(
        f"{front.url}/conversations/{sender}/tracker",
        params={"token": front.stack.config.rasa_auth_token},
        timeout=10,
    )
    assert tracker.status_code == 200
    assert [e["text"] for e in tracker.json()["events"] if e["event"] == "user"] == ["hallo"]
    # Not a web file: the build script is not served (Rasa answers 404).
    assert get(front, "/build.mjs").status_code == 404
