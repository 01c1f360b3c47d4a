"""Live hand-over in Chromium, end to end on the whole stack (docs/desk.md).

A citizen asks for a person in the widget; an advisor signs in on the desk's page (another
tab), takes the conversation and answers; the citizen sees the answer, marked as coming from
a person; the advisor hands back, and the assistant answers again. The same flow on WhatsApp
is tests/e2e/test_live_handover.py.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from services.desk.accounts import hash_password
from services.desk.store import Desk, DeskStore
from tests.browser.conftest import axe_violations, wait_for
from tests.browser.test_widget import choice, open_widget, send_text, texts, wait_for_bot_text

PASSWORD = "een lang wachtwoord voor bram"  # noqa: S105 - a test value
DESK = Desk("leerwerkloket", "Leerwerkloket West-Brabant", "076 000 0000", "ma-zo 00:00-24:00",
            ("*",), 5)  # fmt: skip


@pytest.fixture
def desk(stack):
    """A desk open all week with one advisor, in the running stack's desk store. Afterwards
    nobody of it is signed in, so the other tests of the shared stack get no live chat."""
    store = DeskStore(stack.config.desk_database_url)
    store.save_desk(DESK)
    advisor = store.user("bram") or store.add_user(
        "bram", "Bram", "advisor", hash_password(PASSWORD), [DESK.id]
    )
    yield store
    store.end_sessions_of(advisor.id)
    store.save_desk(Desk(DESK.id, DESK.name, DESK.phone, "", DESK.topics, 5))  # closed


def sign_in(driver, base: str) -> None:
    driver.get(f"{base}/desk/login")
    driver.find_element(By.ID, "username").send_keys("bram")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    wait_for(lambda: driver.current_url.rstrip("/").endswith("/desk"), message="not signed in")


def person_messages(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.lw-message--person'))"
        ".map(e => e.textContent);"
    )


def test_a_citizen_is_handed_to_a_person_in_the_widget_and_back(page, stack, desk):
    desk_url = f"http://127.0.0.1:{stack.config.desk_port}"
    citizen = page.current_window_handle
    page.switch_to.new_window("tab")
    advisor = page.current_window_handle
    sign_in(page, desk_url)  # signed in: the desk offers live chats

    page.switch_to.window(citizen)
    open_widget(page, stack)
    send_text(page, "Ik wil met een mens praten")
    wait_for_bot_text(page, "chatten met een medewerker van Leerwerkloket West-Brabant")
    wait_for(lambda: choice(page, "Ja, nu chatten")).click()
    wait_for_bot_text(page, "wachtrij van Leerwerkloket West-Brabant")

    page.switch_to.window(advisor)
    take = wait_for(lambda: page.find_elements(By.CSS_SELECTOR, "[id^='take-']"),
                    message="the conversation is not in the advisor's queue")  # fmt: skip
    take[0].click()
    transcript = wait_for(lambda: page.find_element(By.ID, "transcript").text)
    assert "Ik wil met een mens praten" in transcript
    assert axe_violations(page) == []
    page.find_element(By.ID, "message-text").send_keys("Goedemiddag, met Bram. Waar kan ik helpen?")
    page.find_element(By.ID, "send-message").click()

    page.switch_to.window(citizen)
    wait_for_bot_text(page, "Bram van Leerwerkloket West-Brabant praat nu met u")
    wait_for(lambda: any("met Bram" in t for t in person_messages(page)),
             message=f"no message marked as from a person; got {texts(page)}")  # fmt: skip
    assert any("medewerker" in t for t in person_messages(page))
    before = len(texts(page))
    send_text(page, "Ik zoek een cursus Nederlands")

    page.switch_to.window(advisor)
    wait_for(lambda: "Ik zoek een cursus Nederlands" in page.find_element(By.ID, "transcript").text)
    page.switch_to.window(citizen)
    assert len(texts(page)) == before, "the assistant stays silent while the advisor has it"

    page.switch_to.window(advisor)
    page.find_element(By.ID, "hand-back").click()
    page.switch_to.window(citizen)
    wait_for_bot_text(page, "weer met Leerwijzer")
    send_text(page, "Ik zoek een computercursus in Breda")
    wait_for(lambda: any("\nWaar:" in t for t in texts(page)), timeout=60,
             message=f"the assistant did not answer again; got {texts(page)[-3:]}")  # fmt: skip
    assert axe_violations(page) == []
