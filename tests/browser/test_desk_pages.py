"""The desk's pages for advisors (services/desk/static/, docs/desk.md) in headless Chromium.

Only the desk is needed, not the stack: it runs as a real uvicorn process on a free port with
its own SQLite files, seeded with its command line. Hand-overs come in through the internal
API the assistant uses. The `page` fixture of conftest.py would start the whole stack, so
these tests open their own tab from the module's `driver`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bot.settings import PROJECT_ROOT
from tests.browser.conftest import (
    _missing,
    axe_violations,
    describe_violations,
    fresh_tab,
    severe_console_errors,
    wait_for,
)
from tests.support.ports import free_port
from tools.bench_desk import DeskProcess

TOKEN = "test-token"  # the desk's service token in this test only
DESK_ID = "leerwerkloket"
DESK_NAME = "Leerwerkloket Test"
PASSWORD = "een-lang-wachtwoord-42"  # accounts of this test only
ADVISOR = ("anna", "Anna de Vries", "advisor")
COLLEAGUE = ("bram", "Bram Jansen", "advisor")  # signed in, so the desk is staffed
ADMIN = ("beheer", "Bea Beheer", "admin")
LOCKED = ("dirk", "Dirk Visser", "advisor")  # locked out by the test of the lock
LOCKOUT_ATTEMPTS = 3
# Settings a developer's shell could have; the desk gets its own.
DESK_SETTINGS = (
    "DESK_PORT DESK_URL DESK_DATABASE_URL DESK_SERVICE_TOKEN ASSISTANT_URL DESK_COOKIE_SECURE "
    "DESK_LOCKOUT_ATTEMPTS DESK_LOCKOUT_MINUTES DESK_SESSION_IDLE_MINUTES DESK_SESSION_HOURS "
    "DESK_AUDIT_DAYS DESK_TIMEZONE CALLBACK_DATABASE_URL VAR_DIR RETENTION_DAYS"
).split()


@dataclass
class DeskServer:
    url: str
    var_dir: Path
    process: DeskProcess
    staff: requests.Session = field(default_factory=requests.Session)

    def internal(self, path: str, body: dict) -> requests.Response:
        return requests.post(
            f"{self.url}/desk/internal/{path}",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )

    def handover(self, *texts: str) -> tuple[int, str]:
        """A new waiting hand-over with the citizen's `texts`; its id and sender id."""
        conversation = "desk-test-" + uuid.uuid4().hex
        now = datetime.now(timezone.utc).isoformat()
        response = self.internal(
            "handovers",
            {
                "conversation": conversation,
                "channel": "socketio",
                "desk": DESK_ID,
                "language": "nl",
                "transcript": [{"from": "citizen", "text": t, "at": now} for t in texts],
            },
        )
        assert response.status_code == 201, response.text
        return response.json()["id"], conversation

    def logs(self) -> str:
        return self.process.log_tail(60)


def signed_in_api(url: str, username: str) -> requests.Session:
    """A requests session signed in through the API (with the CSRF cookie of the page)."""
    session = requests.Session()
    session.get(f"{url}/desk/login", timeout=10).raise_for_status()
    response = session.post(
        f"{url}/desk/api/login",
        json={"username": username, "password": PASSWORD},
        headers={"X-CSRF-Token": session.cookies.get("desk_csrf", "")},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return session


def _cli(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.desk", *args],
        input=PASSWORD + "\n",
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def desk(tmp_path_factory) -> Iterator[DeskServer]:
    # Module fixtures start before conftest's check for a browser: check it here, first.
    reason = _missing()
    if reason and os.environ.get("LEERWIJZER_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)
    var_dir = tmp_path_factory.mktemp("desk")
    database_url = f"sqlite:///{var_dir / 'desk.db'}"
    env = {k: v for k, v in os.environ.items() if k not in DESK_SETTINGS}
    env.update(VAR_DIR=str(var_dir), DESK_DATABASE_URL=database_url)
    # Open all day, every day; nobody is sent to a call-back while the tests run.
    _cli(env, "add-desk", DESK_ID, "--name", DESK_NAME, "--phone", "076 000 0000",
         "--hours", "ma-zo 00:00-24:00", "--max-wait", "120")  # fmt: skip
    for username, name, role in (ADVISOR, COLLEAGUE, ADMIN, LOCKED):
        _cli(env, "add-user", username, "--name", name, "--role", role, "--desk", DESK_ID,
             "--password-stdin")  # fmt: skip

    from services.callbacks import CallbackRequest, CallbackStore

    CallbackStore(f"sqlite:///{var_dir / 'callbacks.db'}").add(
        CallbackRequest(
            first_name="Fatima",
            phone="0612345678",
            daypart="morning",
            organization=DESK_NAME,
            subject="dutch",
        )
    )
    # Nothing listens at the assistant's address: relaying fails at once, as it may.
    process = DeskProcess(
        database_url,
        var_dir,
        f"http://127.0.0.1:{free_port()}",
        token=TOKEN,
        DESK_LOCKOUT_ATTEMPTS=str(LOCKOUT_ATTEMPTS),
    )
    server = DeskServer(process.url, var_dir, process)
    try:
        try:
            process.wait_ready()
        except RuntimeError as exc:
            pytest.fail(str(exc))
        server.staff = signed_in_api(server.url, COLLEAGUE[0])
        yield server
    finally:
        process.stop()


@pytest.fixture
def tab(desk, driver):
    """A fresh tab without the cookies of the previous test (conftest's `page` needs the stack)."""
    fresh_tab(driver)
    driver.get(f"{desk.url}/desk/health")
    driver.delete_all_cookies()
    return driver


# -- helpers --------------------------------------------------------------------------------


def css(driver, selector: str):
    return driver.find_element(By.CSS_SELECTOR, selector)


def visible(driver, selector: str):
    def find():
        elements = [e for e in driver.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]
        return elements[0] if elements else None

    return wait_for(find, timeout=15, message=f"nothing visible at {selector!r}")


def sign_in(driver, desk: DeskServer, user: tuple[str, str, str]) -> None:
    driver.get(f"{desk.url}/desk/login")
    css(driver, "#username").send_keys(user[0])
    css(driver, "#password").send_keys(PASSWORD)
    css(driver, "#login-submit").click()
    wait_for(
        lambda: css(driver, "#desk-user-name").text == f"Ingelogd als {user[1]}",
        timeout=15,
        message="not signed in",
    )


def assert_accessible(driver, what: str) -> None:
    violations = axe_violations(driver)
    assert not violations, f"{what}:\n{describe_violations(violations)}"


def csp_errors(driver) -> list[str]:
    return [m for m in severe_console_errors(driver) if "Content Security Policy" in m]


def transcript(driver) -> list[tuple[str, str]]:
    """(data-from, text) of each message shown."""
    rows = driver.execute_script(
        """
        return Array.from(document.querySelectorAll('#transcript [data-from]'))
          .map(e => [e.dataset.from, e.querySelector('.desk-message__text').textContent]);
        """
    )
    return [tuple(row) for row in rows]


def card(driver, handover_id: int):
    return css(driver, f'#handover-list [data-handover-id="{handover_id}"]')


def take(driver, handover_id: int) -> None:
    """Presses "Aannemen"; the list is drawn again on every change, so found anew each try."""
    selector = f'#handover-list [data-handover-id="{handover_id}"] button[data-action=take]'
    wait_for(
        lambda: (
            css(driver, selector).text == "Aannemen" and (css(driver, selector).click() or True)
        ),
        timeout=15,
    )


# -- tests ----------------------------------------------------------------------------------


def test_login_page_is_accessible_and_refuses_a_wrong_password(tab, desk):
    tab.get(f"{desk.url}/desk/login")
    visible(tab, "#login-form")
    assert tab.execute_script("return document.documentElement.lang") == "nl"
    assert_accessible(tab, "login page")
    assert not css(tab, "#oidc").is_displayed()  # no identity provider configured

    css(tab, "#username").send_keys(ADVISOR[0])
    css(tab, "#password").send_keys("niet-het-goede-wachtwoord")
    css(tab, "#login-submit").click()
    alert = wait_for(lambda: css(tab, "#desk-alert").text, timeout=10)
    assert alert == "Gebruikersnaam of wachtwoord klopt niet."
    assert css(tab, "#desk-alert").get_attribute("role") == "alert"
    assert tab.current_url.endswith("/desk/login")
    assert not csp_errors(tab)


def test_keyboard_only_sign_in_and_answer(tab, desk):
    handover_id, _ = desk.handover("Kan ik met het toetsenbord geholpen worden?")
    tab.get(f"{desk.url}/desk/login")
    visible(tab, "#login-form")

    def active():
        return tab.switch_to.active_element

    def press(*keys) -> None:
        ActionChains(tab).send_keys(*keys).perform()

    # From the top of the page: the skip link first, then the form, by Tab only.
    press(Keys.TAB)
    assert active().text == "Naar de inhoud"
    press(Keys.ENTER)  # past the header
    for _ in range(5):
        if active().get_attribute("id") == "username":
            break
        press(Keys.TAB)
    assert active().get_attribute("id") == "username"
    press(ADVISOR[0], Keys.TAB)
    assert active().get_attribute("id") == "password"
    press(PASSWORD, Keys.ENTER)
    wait_for(lambda: tab.current_url.rstrip("/").endswith("/desk"), timeout=15)
    wait_for(lambda: css(tab, "#desk-user-name").text == f"Ingelogd als {ADVISOR[1]}", timeout=15)
    assert not css(tab, "#nav-admin").is_displayed()  # an advisor sees no "Beheer"
    wait_for(lambda: card(tab, handover_id), timeout=15)

    # Tab to "Aannemen" of the conversation; its focus ring shows.
    take_id = f"take-{handover_id}"
    for _ in range(40):
        press(Keys.TAB)
        if active().get_attribute("id") == take_id:
            break
    assert active().get_attribute("id") == take_id
    outline = tab.execute_script(
        "const s = getComputedStyle(document.activeElement);"
        "return [s.outlineStyle, parseFloat(s.outlineWidth)];"
    )
    assert outline[0] != "none" and outline[1] >= 2, outline

    # Enter takes it and puts the focus in the message field; Ctrl+Enter sends.
    press(Keys.ENTER)
    wait_for(lambda: active().get_attribute("id") == "message-text", timeout=15)
    ActionChains(tab).send_keys("Ja hoor.").key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(
        Keys.CONTROL
    ).perform()
    wait_for(lambda: ("advisor", "Ja hoor.") in transcript(tab), timeout=15)


def test_advisor_takes_a_conversation_and_answers(tab, desk):
    handover_id, conversation = desk.handover("Ik wil graag Nederlands leren.")
    sign_in(tab, desk, ADVISOR)

    text = wait_for(lambda: card(tab, handover_id).text, timeout=15)
    assert "Website/kiosk" in text and "Wacht sinds" in text, text
    take(tab, handover_id)

    wait_for(lambda: ("citizen", "Ik wil graag Nederlands leren.") in transcript(tab), timeout=15)
    assert tab.current_url.endswith(f"#h={handover_id}")
    message = visible(tab, "#message-text")
    assert message.get_attribute("maxlength") == "2000"
    message.send_keys("Goedemiddag, ik ben Anna. Waar woont u?")
    css(tab, "#send-message").click()
    wait_for(
        lambda: ("advisor", "Goedemiddag, ik ben Anna. Waar woont u?") in transcript(tab),
        timeout=15,
    )
    assert css(tab, "#message-text").get_attribute("value") == ""
    # No assistant listens in this test: the advisor is told the message is not there yet.
    wait_for(lambda: "nog niet bij de inwoner" in css(tab, "#send-status").text, timeout=10)
    author = css(tab, '#transcript [data-from="advisor"] .desk-message__meta').text
    assert author.startswith(ADVISOR[1])

    # The citizen answers: the page hears it over Socket.IO. Their text stays text.
    answer = 'In Breda <img src=x onerror="window.hacked=1">'
    response = desk.internal("citizen-message", {"conversation": conversation, "text": answer})
    assert response.status_code == 200, response.text
    wait_for(lambda: ("citizen", answer) in transcript(tab), timeout=15)
    assert not tab.execute_script("return window.hacked === 1")
    assert not tab.find_elements(By.CSS_SELECTOR, "#transcript img")

    # A reload keeps the open conversation (#h=<id>).
    tab.refresh()
    wait_for(lambda: ("citizen", answer) in transcript(tab), timeout=15)
    assert visible(tab, "#hand-back").text == "Teruggeven aan Leerwijzer"
    assert not csp_errors(tab)
    assert not severe_console_errors(tab)


def test_queue_with_a_waiting_and_an_open_conversation_is_accessible(tab, desk):
    waiting, _ = desk.handover("Hoe vind ik een computercursus?")
    opened, conversation = desk.handover("Ik zoek hulp met lezen.")
    sign_in(tab, desk, ADVISOR)
    take(tab, opened)
    visible(tab, "#message-text")
    wait_for(lambda: ("citizen", "Ik zoek hulp met lezen.") in transcript(tab), timeout=15)

    # The citizen leaves the page: the queue says so.
    response = desk.internal("presence", {"conversation": conversation, "present": False})
    assert response.status_code == 204, response.text
    wait_for(lambda: "De inwoner is weg" in card(tab, opened).text, timeout=15)
    wait_for(lambda: "Aannemen" in card(tab, waiting).text, timeout=10)
    wait_for(lambda: "Bij u" in card(tab, opened).text, timeout=10)
    assert css(tab, "#queue-summary").get_attribute("aria-live") == "polite"
    assert css(tab, "#transcript").get_attribute("aria-live") == "polite"

    assert_accessible(tab, "queue with an open conversation")
    assert not severe_console_errors(tab)

    # Handing back ends the advisor's part; the queue no longer lists it.
    css(tab, "#hand-back").click()
    wait_for(lambda: not tab.find_elements(By.CSS_SELECTOR, f'[data-handover-id="{opened}"]'))
    wait_for(lambda: "teruggegeven" in css(tab, "#conversation-state").text, timeout=15)
    assert not css(tab, "#message-form").is_displayed()


def test_callbacks_page_is_accessible_and_works(tab, desk):
    sign_in(tab, desk, ADVISOR)
    tab.get(f"{desk.url}/desk/callbacks")
    reference = wait_for(
        lambda: css(tab, "#callback-rows tr[data-reference]").get_attribute("data-reference"),
        timeout=15,
    )

    def row_text() -> str:
        return css(tab, f'#callback-rows tr[data-reference="{reference}"]').text

    def press(action: str) -> None:
        # The table is drawn again on every change: find the button anew until it takes.
        selector = f'#callback-rows tr[data-reference="{reference}"] button[data-action={action}]'
        wait_for(lambda: css(tab, selector).click() or True, timeout=10)

    text = row_text()
    assert "Fatima" in text and "ochtend" in text and "Nieuw" in text, text
    assert_accessible(tab, "call-back page")

    press("claim")
    wait_for(lambda: "Opgepakt door u" in row_text(), timeout=15)
    # The button is gone; the focus went to the next action of the same row, not the page.
    assert tab.switch_to.active_element.get_attribute("data-action") == "called"

    note = f'#callback-rows tr[data-reference="{reference}"] textarea'

    def write_note() -> bool:
        field = css(tab, note)
        field.clear()
        field.send_keys("Voicemail ingesproken")
        return field.get_attribute("value") == "Voicemail ingesproken"

    wait_for(write_note, timeout=10)
    press("note")
    wait_for(lambda: "is opgeslagen" in css(tab, "#desk-status").text, timeout=15)

    press("unreachable")
    wait_for(lambda: "Niet bereikt" in row_text(), timeout=15)
    wait_for(lambda: css(tab, note).get_attribute("value") == "Voicemail ingesproken")
    assert_accessible(tab, "call-back page after the work")
    assert not severe_console_errors(tab)


def test_admin_page_is_accessible_and_adds_an_account(tab, desk):
    sign_in(tab, desk, ADMIN)
    assert css(tab, "#nav-admin").is_displayed()
    tab.get(f"{desk.url}/desk/admin")
    wait_for(lambda: css(tab, '#user-rows tr[data-username="anna"]'), timeout=15)
    wait_for(lambda: css(tab, f'#desk-rows tr[data-desk-id="{DESK_ID}"]'), timeout=15)
    wait_for(lambda: css(tab, "#audit-rows tr"), timeout=15)
    assert_accessible(tab, "admin page")

    # A name the server would refuse is explained in plain Dutch first.
    css(tab, "#user-username").send_keys("Carla S")
    css(tab, "#user-submit").click()
    wait_for(lambda: "Geen spaties" in css(tab, "#desk-alert").text, timeout=10)
    assert tab.switch_to.active_element.get_attribute("id") == "user-username"
    assert css(tab, "#user-username").get_attribute("aria-invalid") == "true"
    css(tab, "#user-username").clear()

    css(tab, "#user-username").send_keys("carla")
    css(tab, "#user-name").send_keys("Carla Smit")
    css(tab, f"#user-desk-{DESK_ID}").click()
    css(tab, "#user-password").send_keys(PASSWORD)
    css(tab, "#user-submit").click()
    row = wait_for(lambda: css(tab, '#user-rows tr[data-username="carla"]'), timeout=15)
    assert "Carla Smit" in row.text and DESK_NAME in row.text and "Adviseur" in row.text
    assert not severe_console_errors(tab)


def test_sign_out_and_sign_out_everywhere(tab, desk):
    other = signed_in_api(desk.url, ADVISOR[0])  # the same advisor on another computer
    sign_in(tab, desk, ADVISOR)
    css(tab, "#logout").click()
    wait_for(lambda: tab.current_url.endswith("/desk/login"), timeout=15)
    tab.get(f"{desk.url}/desk/")
    assert tab.current_url.endswith("/desk/login")  # no session: back to the login page
    assert other.get(f"{desk.url}/desk/api/me", timeout=10).status_code == 200

    sign_in(tab, desk, ADVISOR)
    css(tab, "#logout-everywhere").click()
    wait_for(lambda: tab.current_url.endswith("/desk/login"), timeout=15)
    assert other.get(f"{desk.url}/desk/api/me", timeout=10).status_code == 401
    assert not severe_console_errors(tab)


def test_a_locked_account_is_told_so_and_an_admin_unlocks_it(tab, desk):
    tab.get(f"{desk.url}/desk/login")
    visible(tab, "#login-form")
    for attempt in range(LOCKOUT_ATTEMPTS + 1):
        css(tab, "#username").clear()
        css(tab, "#username").send_keys(LOCKED[0])
        css(tab, "#password").send_keys(f"fout-{attempt}")
        css(tab, "#login-submit").click()
        # The page empties the password field when the server said no.
        wait_for(lambda: css(tab, "#password").get_attribute("value") == "", timeout=10)
    # 423: the server's own words, in the alert.
    wait_for(lambda: "op slot" in css(tab, "#desk-alert").text, timeout=10)

    sign_in(tab, desk, ADMIN)
    tab.get(f"{desk.url}/desk/admin")
    row = f'#user-rows tr[data-username="{LOCKED[0]}"]'
    wait_for(lambda: "geblokkeerd" in css(tab, row).text, timeout=15)
    css(tab, f"{row} button[data-action=unlock]").click()
    wait_for(lambda: "geblokkeerd" not in css(tab, row).text, timeout=15)
    assert not tab.find_elements(By.CSS_SELECTOR, f"{row} button[data-action=unlock]")
    # The focus stays in the row (on its other button), not lost to the page.
    assert tab.switch_to.active_element.get_attribute("data-action") == "deactivate"
    sign_in(tab, desk, LOCKED)
