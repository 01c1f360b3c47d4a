"""The library kiosk in headless Chromium against the running stack (web/kiosk/)."""

from __future__ import annotations

import json

from selenium.webdriver.common.by import By

from tests.browser.conftest import (
    axe_violations,
    catalog_course_names,
    describe_violations,
    save_screenshot,
    severe_console_errors,
    user_events,
    wait_for,
)

LANGUAGE_NAMES = ["Nederlands", "English", "العربية", "Türkçe", "Українська", "Polski"]
# Shortened timeouts (seconds). The warning must not come while the test waits for answers.
WARN, RESET = 10, 15


def texts(driver, selector: str = ".lw-message--bot .lw-message__text") -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent)",
        selector,
    )


def shown_course_names(driver) -> list[str]:
    return [t.splitlines()[0] for t in texts(driver) if "\nWaar:" in t]


def kiosk(driver, stack, query: str = "") -> None:
    driver.set_window_size(1280, 1024)
    driver.get(f"{stack.config.web_url}/kiosk/{query}")
    wait_for(lambda: driver.execute_script("return window.Leerwijzer?.kiosk?.screen()") == "start")


def tap(driver, text: str, selector: str = "button"):
    def find():
        for button in driver.find_elements(By.CSS_SELECTOR, selector):
            if button.is_displayed() and button.text.strip() == text:
                return button
        return None

    button = wait_for(find, message=f"no button {text!r}")
    button.click()
    return button


def type_on_screen(driver, text: str) -> None:
    toggle = driver.find_element(By.CSS_SELECTOR, ".kiosk-keyboard-toggle")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    for key in text:
        driver.find_element(By.CSS_SELECTOR, f'.kiosk-key[data-key="{key}"]').click()


def storage_is_empty(driver) -> bool:
    return driver.execute_script(
        "return localStorage.length === 0 && sessionStorage.length === 0 && document.cookie === ''"
    )


def small_targets(driver) -> list[str]:
    return driver.execute_script(
        """
        return Array.from(document.querySelectorAll('button, input, a'))
          .filter(e => e.offsetParent !== null)
          .filter(e => {
            const r = e.getBoundingClientRect();
            return r.height < 64 || r.width < 64;
          })
          .map(e => e.tagName + ' ' + (e.textContent || e.id).trim().slice(0, 20));
        """
    )


def test_search_take_away_warning_and_reset(page, stack):
    expected = catalog_course_names(stack)
    kiosk(page, stack, f"?warn={WARN}&reset={RESET}")
    names = [b.text for b in page.find_elements(By.CSS_SELECTOR, ".kiosk-language")]
    assert names == LANGUAGE_NAMES
    langs = [
        b.get_attribute("lang") for b in page.find_elements(By.CSS_SELECTOR, ".kiosk-language")
    ]
    assert langs == ["nl", "en", "ar", "tr", "uk", "pl"]
    assert small_targets(page) == []
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)
    save_screenshot(page, "kiosk-start")

    tap(page, "Nederlands")
    wait_for(lambda: texts(page), message="no greeting")
    first_session = page.execute_script("return Leerwijzer.kiosk.sessionId()")
    tap(page, "Een cursus zoeken", ".lw-choice")
    wait_for(lambda: any("Wat wilt u leren?" in t for t in texts(page)), message=str(texts(page)))
    type_on_screen(page, "computercursus in breda")
    assert page.find_element(By.ID, "kiosk-input").get_attribute("value") == (
        "computercursus in breda"
    )
    tap(page, "Verstuur")
    wait_for(lambda: len(shown_course_names(page)) >= len(expected), message=str(texts(page)))
    assert shown_course_names(page)[: len(expected)] == expected
    assert not page.find_elements(By.CSS_SELECTOR, ".kiosk-log a"), "no links on a kiosk"
    assert small_targets(page) == []
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)
    save_screenshot(page, "kiosk-conversation")

    # "Neem mee": the results as text and as a QR code with that text, and a print view.
    takeaway = page.find_element(By.CSS_SELECTOR, ".kiosk-takeaway-button")
    assert takeaway.text.startswith("Neem mee (")
    takeaway.click()
    qr = wait_for(lambda: page.find_element(By.CSS_SELECTOR, "svg.kiosk-qr"))
    assert qr.get_attribute("role") == "img" and qr.get_attribute("aria-label")
    results = "\n".join(texts(page, ".kiosk-result__text"))
    for name in expected:
        assert name in results
    # The QR code holds exactly the results' text (qrcode-generator, decoded by re-encoding).
    assert page.execute_script(
        """
        qrcode.stringToBytes = qrcode.stringToBytesFuncs['UTF-8'];
        const text = [Leerwijzer.kiosk.config.title].concat(
          Array.from(document.querySelectorAll('.kiosk-result__text')).map(p => p.textContent)
        ).join('\\n\\n');
        const code = qrcode(0, 'M'); code.addData(text, 'Byte'); code.make();
        const d = [];
        for (let r = 0; r < code.getModuleCount(); r++)
          for (let c = 0; c < code.getModuleCount(); c++)
            if (code.isDark(r, c)) d.push('M' + (c + 4) + ' ' + (r + 4) + 'h1v1h-1z');
        return document.querySelector('svg.kiosk-qr path').getAttribute('d') === d.join('');
        """
    )
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)
    save_screenshot(page, "kiosk-take-away")
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert qr.is_displayed()
    assert not any(b.is_displayed() for b in page.find_elements(By.TAG_NAME, "button"))
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    tap(page, "Terug naar het gesprek")

    assert user_events(stack, first_session), "the server holds the conversation"
    assert storage_is_empty(page)

    # Nobody touches the screen: first "Bent u er nog?", then a full reset.
    dialog = wait_for(
        lambda: (
            page.find_element(By.ID, "still-there").is_displayed()
            and page.find_element(By.ID, "still-there")
        ),
        timeout=WARN + 10,
    )
    assert "Bent u er nog?" in dialog.text
    assert dialog.find_element(By.TAG_NAME, "button").text == "Ja, ik ga verder"
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)
    save_screenshot(page, "kiosk-still-there")

    wait_for(
        lambda: page.execute_script("return Leerwijzer.kiosk.screen()") == "start",
        timeout=RESET - WARN + 10,
    )
    assert not page.find_element(By.ID, "still-there").is_displayed()
    assert page.find_elements(By.CSS_SELECTOR, ".lw-message") == []
    assert page.find_elements(By.CSS_SELECTOR, ".kiosk-result") == []
    assert page.execute_script("return Leerwijzer.kiosk.sessionId()") != first_session
    assert storage_is_empty(page)
    wait_for(
        lambda: user_events(stack, first_session) == [],
        timeout=15,
        message="the server-side conversation was not deleted",
    )
    assert not severe_console_errors(page)


def test_still_there_continue_keeps_the_conversation(page, stack):
    kiosk(page, stack, "?warn=3&reset=60")
    tap(page, "Nederlands")
    wait_for(lambda: texts(page))
    wait_for(lambda: page.find_element(By.ID, "still-there").is_displayed(), timeout=15)
    tap(page, "Ja, ik ga verder", "#still-there button")
    assert not page.find_element(By.ID, "still-there").is_displayed()
    assert texts(page), "the conversation is still on screen"
    tap(page, "Opnieuw beginnen")
    assert page.execute_script("return Leerwijzer.kiosk.screen()") == "start"
    assert page.find_elements(By.CSS_SELECTOR, ".lw-message") == []


def test_arabic_is_right_to_left_and_sent_to_the_assistant(page, stack):
    kiosk(page, stack)
    tap(page, "العربية")
    html = page.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl" and html.get_attribute("lang") == "ar"
    wait_for(lambda: texts(page), message="no answer to the language switch")
    assert page.find_element(By.CSS_SELECTOR, ".kiosk-reset").text == "البدء من جديد"
    assert "الهولندية" in page.find_element(By.CSS_SELECTOR, ".kiosk-notice").text
    bot_languages = page.execute_script(
        "return Array.from(document.querySelectorAll('.lw-message__text')).map(p => p.lang)"
    )
    assert set(bot_languages) == {"nl"}, "the assistant's Dutch is marked as Dutch"
    session_id = page.execute_script("return Leerwijzer.kiosk.sessionId()")
    events = wait_for(lambda: user_events(stack, session_id))
    assert json.loads(events[0]["text"].removeprefix("/change_language")) == {"language": "ar"}
    assert events[0]["metadata"].items() >= {"language": "ar", "client": "kiosk"}.items()
    type_on_screen(page, "breda")
    assert small_targets(page) == []
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)
    save_screenshot(page, "kiosk-arabic")
    tap(page, "البدء من جديد")
    assert page.find_element(By.TAG_NAME, "html").get_attribute("dir") == "ltr"
    wait_for(lambda: user_events(stack, session_id) == [], timeout=15)
    assert storage_is_empty(page)


def test_the_kiosk_tells_the_assistant_where_it_stands(page, stack):
    kiosk(page, stack, "?place=Roosendaal")
    tap(page, "Nederlands")
    session_id = page.execute_script("return Leerwijzer.kiosk.sessionId()")
    events = wait_for(lambda: user_events(stack, session_id))
    # Rasa adds its own keys (model_id, assistant_id) to the metadata.
    sent = {"language": "nl", "client": "kiosk", "place": "Roosendaal"}
    assert events[0]["metadata"].items() >= sent.items()
