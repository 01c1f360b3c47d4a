"""Messages that a person wrote (an advisor after a hand-over) in the widget and the kiosk.

After a hand-over the assistant sends the advisor's messages as
`bot_uttered {"text": ..., "person": "Anna, medewerker Taalhuis Breda"}` (bot/channels/desk.py).
The widget and the kiosk show the label above the text, give the message its own look and
let screen readers read the label as part of the message.

No stack is needed: the real widget and kiosk files (web/) are served by a small web server in
this test, and a fake Socket.IO client (`Leerwijzer.io`, which both use when it is set) takes
the place of Rasa's channel, so that a test can hand the page any `bot_uttered` it likes.
The `page` fixture of conftest.py would start the whole stack, so these tests open their own
tab from the module's `driver`.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from selenium.webdriver.common.by import By

from bot.settings import PROJECT_ROOT
from tests.browser.conftest import (
    axe_violations,
    describe_violations,
    fresh_tab,
    severe_console_errors,
    wait_for,
)

WEB = PROJECT_ROOT / "web"
LABEL = "Anna, medewerker Taalhuis Breda"
ADVISOR_TEXT = "Goedemiddag, ik ben Anna. Ik help u verder met uw vraag."
BOT_TEXT = "Anna van Taalhuis Breda praat nu met u."

# A stand-in for the Socket.IO client: it connects at once, confirms the session and lets the
# test fire any event at the page (window.__sockets[n].fire('bot_uttered', {...})).
FAKE_SOCKET_IO = """
window.__sockets = [];
window.Leerwijzer = {io: function () {
  const handlers = {};
  const socket = {
    connected: false, sent: [],
    on(name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
    emit(name, payload) {
      socket.sent.push([name, payload]);
      if (name === 'session_request') setTimeout(() => socket.fire('session_confirm', {}), 0);
    },
    fire(name, data) { (handlers[name] || []).slice().forEach(fn => fn(data)); },
    removeAllListeners() { for (const name in handlers) delete handlers[name]; },
    disconnect() { socket.connected = false; },
  };
  setTimeout(() => { socket.connected = true; socket.fire('connect'); }, 0);
  window.__sockets.push(socket);
  return socket;
}};
"""

PAGES = {
    # A municipality's page with the widget, open from the start.
    "/test/widget.html": f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Gemeente</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>Gemeente</h1><p>Welkom.</p></main>
<script>{FAKE_SOCKET_IO}</script>
<script>window.LEERWIJZER_WIDGET = {{serverUrl: location.origin, open: true}};</script>
<script src="/widget/leerwijzer-widget.js"></script>
</body></html>""",
    # web/kiosk/index.html with the fake client instead of config.js and Socket.IO.
    "/test/kiosk.html": f"""<!doctype html>
<html lang="nl" dir="ltr"><head><meta charset="utf-8"><title>Leerwijzer</title>
<link rel="icon" href="data:,">
<link id="kiosk-theme" rel="stylesheet" href="/vendor/voorbeeld-theme.css">
<link rel="stylesheet" href="/vendor/nl-design-system.css">
<link rel="stylesheet" href="/widget/widget.css">
<link rel="stylesheet" href="/kiosk/kiosk.css"></head>
<body class="voorbeeld-theme utrecht-document lw-root kiosk">
<main id="kiosk" class="kiosk-main"></main>
<dialog id="still-there" class="kiosk-dialog"></dialog>
<script>{FAKE_SOCKET_IO}</script>
<script>window.LEERWIJZER_CONFIG = {{serverUrl: location.origin}};</script>
<script src="/vendor/qrcode.js"></script>
<script src="/widget/strings.js"></script>
<script src="/widget/conversation.js"></script>
<script src="/widget/messages.js"></script>
<script src="/kiosk/kiosk.js"></script>
</body></html>""",
}

# What a message looks like and says: its classes, the label, the text a screen reader
# reads for the whole list item, the live region and the look of the start border.
DESCRIBE = """
return Array.from(document.querySelectorAll('.lw-message--bot')).map(item => {
  const style = getComputedStyle(item);
  const label = item.querySelector('.lw-message__person');
  return {
    classes: item.className,
    label: label ? label.textContent : null,
    labelVisible: label ? label.getBoundingClientRect().height > 0 : false,
    labelWeight: label ? getComputedStyle(label).fontWeight : null,
    labelBeforeText: label
      ? Boolean(label.compareDocumentPosition(item.querySelector('.lw-message__text'))
                & Node.DOCUMENT_POSITION_FOLLOWING)
      : null,
    read: item.textContent,
    text: item.querySelector('.lw-message__text').textContent,
    startWidth: parseFloat(style.borderInlineStartWidth || style.borderLeftWidth),
    endWidth: parseFloat(style.borderInlineEndWidth || style.borderRightWidth),
    startColor: style.borderInlineStartColor || style.borderLeftColor,
    endColor: style.borderInlineEndColor || style.borderRightColor,
  };
});
"""


class _Handler(SimpleHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server calls
        page = PAGES.get(self.path.split("?")[0])
        if page is None:
            return super().do_GET()
        body = page.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """web/ and the two test pages on a free local port."""
    handler = functools.partial(_Handler, directory=str(WEB))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tab(driver, site):
    """A fresh tab per test, without the stack (conftest's `page` needs it)."""
    return fresh_tab(driver)


def fire(driver, data: dict) -> None:
    driver.execute_script(
        "window.__sockets[window.__sockets.length - 1].fire('bot_uttered', arguments[0])", data
    )


def messages(driver) -> list[dict]:
    return driver.execute_script(DESCRIBE)


def live_region(driver) -> str:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('[aria-live]'))"
        ".map(e => e.textContent).join(' | ')"
    )


def converse(driver) -> tuple[dict, dict]:
    """The assistant's message, then the advisor's; both as shown."""
    fire(driver, {"text": BOT_TEXT})
    fire(driver, {"text": ADVISOR_TEXT, "person": LABEL})
    shown = wait_for(lambda: len(messages(driver)) >= 2 and messages(driver))
    return shown[-2], shown[-1]


def check_person_message(driver, bot: dict, person: dict) -> None:
    assert "lw-message--person" not in bot["classes"]
    assert bot["label"] is None
    assert bot["read"].startswith("Leerwijzer: ")  # as before: the assistant's name, hidden

    assert "lw-message--person" in person["classes"]
    assert person["label"].startswith(LABEL)
    assert person["labelVisible"]
    assert int(person["labelWeight"]) >= 700
    assert person["labelBeforeText"]
    assert person["text"] == ADVISOR_TEXT
    # A screen reader reads the label as part of the message, not "Leerwijzer".
    assert person["read"].startswith(f"{LABEL}: {ADVISOR_TEXT}"), person["read"]
    assert "Leerwijzer" not in person["read"]
    # Its own look: a thicker start border than the other sides, in another colour.
    assert person["startWidth"] > person["endWidth"]
    assert person["startWidth"] > bot["startWidth"]
    assert person["startColor"] != person["endColor"]
    # New messages are announced with the label.
    assert f"{LABEL}: {ADVISOR_TEXT}" in live_region(driver)


def test_the_widget_shows_who_wrote_a_message(tab, site):
    tab.get(f"{site}/test/widget.html")
    wait_for(lambda: tab.execute_script("return Boolean(window.Leerwijzer?.widget)"))
    wait_for(lambda: tab.find_elements(By.ID, "leerwijzer-input"), message="widget not open")
    bot, person = converse(tab)
    check_person_message(tab, bot, person)

    # The label never becomes HTML, neither does the advisor's text.
    fire(tab, {"text": "<b>vet</b>", "person": '<img src=x onerror="window.__pwned = 1">Piet'})
    wait_for(lambda: len(messages(tab)) >= 3)
    last = messages(tab)[-1]
    assert last["label"].startswith('<img src=x onerror="window.__pwned = 1">Piet')
    assert last["text"] == "<b>vet</b>"
    assert not tab.find_elements(By.CSS_SELECTOR, ".lw-messages img, .lw-messages b")
    assert tab.execute_script("return window.__pwned") is None
    # An empty or wrong `person` is the assistant's own message.
    fire(tab, {"text": "Nog iets?", "person": "  "})
    fire(tab, {"text": "En dit?", "person": {"name": "x"}})
    wait_for(lambda: len(messages(tab)) >= 5)
    assert all(m["label"] is None for m in messages(tab)[-2:])

    # After a page load the transcript comes back with the label.
    tab.refresh()
    wait_for(lambda: len(messages(tab)) >= 5, message="transcript not restored")
    restored = [m for m in messages(tab) if m["label"]]
    assert [m["label"].rstrip(": ") for m in restored][0] == LABEL

    violations = axe_violations(tab, ".lw-root")
    assert violations == [], describe_violations(violations)
    assert not severe_console_errors(tab)


def test_the_kiosk_shows_who_wrote_a_message(tab, site):
    tab.set_window_size(1280, 1024)
    tab.get(f"{site}/test/kiosk.html")
    wait_for(lambda: tab.execute_script("return window.Leerwijzer?.kiosk?.screen()") == "start")
    for button in tab.find_elements(By.CSS_SELECTOR, ".kiosk-language"):
        if button.text.strip() == "Nederlands":
            button.click()
            break
    wait_for(lambda: tab.execute_script("return window.__sockets.length") > 0)
    wait_for(lambda: tab.find_elements(By.CSS_SELECTOR, ".kiosk-log"), message="no chat screen")
    bot, person = converse(tab)
    check_person_message(tab, bot, person)

    violations = axe_violations(tab)
    assert violations == [], describe_violations(violations)
    assert not severe_console_errors(tab)
