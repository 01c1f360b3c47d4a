"""The website widget in headless Chromium against the running stack (web/widget/)."""

from __future__ import annotations

import json

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import (
    axe_violations,
    catalog_course_names,
    describe_violations,
    save_screenshot,
    severe_console_errors,
    user_events,
    wait_for,
)

SHOW_TEXTS = """
return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent);
"""


def texts(driver, selector: str = ".lw-message--bot .lw-message__text") -> list[str]:
    return driver.execute_script(SHOW_TEXTS, selector)


def shown_course_names(driver) -> list[str]:
    return [t.splitlines()[0] for t in texts(driver) if "\nWaar:" in t]


def active(driver):
    return driver.switch_to.active_element


def load(driver, stack, path: str = "/"):
    driver.get(f"{stack.config.web_url}{path}")
    wait_for(lambda: driver.execute_script("return Boolean(window.Leerwijzer?.widget)"))


def open_widget(driver, stack):
    load(driver, stack)
    driver.find_element(By.CSS_SELECTOR, ".lw-launcher").click()
    wait_for(lambda: choice(driver, "Een cursus zoeken"), message="no greeting with buttons")


def choice(driver, title: str):
    for button in driver.find_elements(By.CSS_SELECTOR, ".lw-choice"):
        if button.text == title:
            return button
    return None


def send_text(driver, text: str) -> None:
    field = driver.find_element(By.ID, "leerwijzer-input")
    field.send_keys(text)
    field.send_keys(Keys.ENTER)


def wait_for_bot_text(driver, fragment: str, timeout: float = 30.0) -> None:
    wait_for(
        lambda: any(fragment in t for t in texts(driver)),
        timeout=timeout,
        message=f"no bot message with {fragment!r}; got {texts(driver)}",
    )


def test_conversation_from_greeting_to_courses(page, stack):
    expected = catalog_course_names(stack)
    assert expected, "the example catalog has computer courses near Breda"
    open_widget(page, stack)

    greeting = texts(page)[0]
    assert "computerprogramma" in greeting
    titles = [b.text for b in page.find_elements(By.CSS_SELECTOR, ".lw-choice")]
    assert "Andere taal" in titles
    assert all(b.tag_name == "button" for b in page.find_elements(By.CSS_SELECTOR, ".lw-choice"))
    # The privacy address in the greeting became a real link, built from the text.
    link = page.find_element(By.CSS_SELECTOR, ".lw-message--bot .lw-message__text a")
    assert link.get_attribute("href") == stack.config.privacy_url
    assert link.get_attribute("rel") == "noopener noreferrer"

    choice(page, "Een cursus zoeken").click()
    wait_for_bot_text(page, "Wat wilt u leren?")
    assert "Een cursus zoeken" in texts(page, ".lw-message--user .lw-message__text")
    send_text(page, "computercursus in Breda")
    wait_for(lambda: len(shown_course_names(page)) >= len(expected), message=str(texts(page)))
    assert shown_course_names(page)[: len(expected)] == expected
    more = [b for b in page.find_elements(By.CSS_SELECTOR, ".lw-choice") if b.text]
    assert any(b.text == "Meer over deze cursus" for b in more)
    save_screenshot(page, "widget-conversation")

    # Everything came from the web server or the Rasa server; nothing else was asked for.
    origins = page.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)"
    )
    allowed = {stack.config.web_url, stack.config.rasa_url}
    assert set(origins) <= allowed, origins
    assert not severe_console_errors(page)


def test_keyboard_only(page, stack):
    load(page, stack)
    body = page.find_element(By.TAG_NAME, "body")
    body.click()
    keys = ActionChains(page)
    for _ in range(30):
        keys.send_keys(Keys.TAB).perform()
        if "lw-launcher" in (active(page).get_attribute("class") or ""):
            break
    launcher = active(page)
    assert "lw-launcher" in launcher.get_attribute("class")
    assert launcher.value_of_css_property("outline-style") != "none", "visible focus"
    launcher.send_keys(Keys.ENTER)
    wait_for(lambda: choice(page, "Een cursus zoeken"))
    assert active(page).get_attribute("id") == "leerwijzer-input"

    # From the message field back to the welcome's choices, then choose with the keyboard.
    for _ in range(10):
        if active(page).text == "Een cursus zoeken":
            break
        ActionChains(page).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    button = active(page)
    assert button.text == "Een cursus zoeken"
    assert button.value_of_css_property("outline-style") != "none"
    button.send_keys(Keys.ENTER)
    wait_for_bot_text(page, "Wat wilt u leren?")
    for _ in range(30):
        if active(page).get_attribute("id") == "leerwijzer-input":
            break
        ActionChains(page).send_keys(Keys.TAB).perform()
    active(page).send_keys("computercursus in Breda", Keys.ENTER)
    wait_for(lambda: shown_course_names(page), message=str(texts(page)))

    # Text size: A+ by keyboard.
    larger = page.find_element(By.CSS_SELECTOR, ".lw-size--1")
    before = page.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('.lw-panel')).fontSize)"
    )
    larger.send_keys(Keys.ENTER)
    after = page.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('.lw-panel')).fontSize)"
    )
    assert after > before
    assert larger.get_attribute("aria-pressed") == "true"

    # The language menu opens and closes by keyboard; Escape then closes the widget.
    toggle = page.find_element(By.CSS_SELECTOR, ".lw-language")
    toggle.send_keys(Keys.ENTER)
    assert toggle.get_attribute("aria-expanded") == "true"
    assert active(page).get_attribute("aria-current") == "true"
    active(page).send_keys(Keys.ESCAPE)
    assert active(page) == toggle
    active(page).send_keys(Keys.ESCAPE)
    assert page.find_element(By.ID, "leerwijzer-panel").get_attribute("hidden") is not None
    assert "lw-launcher" in active(page).get_attribute("class")


def test_messages_over_2000_characters_are_refused(page, stack):
    open_widget(page, stack)
    sent_before = len(texts(page, ".lw-message--user"))
    field = page.find_element(By.ID, "leerwijzer-input")
    page.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
        field,
        "x" * 2001,
    )
    page.find_element(By.CSS_SELECTOR, ".lw-send").click()
    error = page.find_element(By.ID, "leerwijzer-error")
    assert error.is_displayed()
    assert "te lang" in error.text and "2000" in error.text and "2001" in error.text
    assert field.get_attribute("aria-invalid") == "true"
    assert len(texts(page, ".lw-message--user")) == sent_before, "nothing was sent"
    assert field.get_attribute("value") == "x" * 2001, "the text stays to be shortened"

    page.execute_script("arguments[0].value = ''", field)
    field.send_keys("x" * 10)
    assert not error.is_displayed(), "typing clears the error"


def test_html_typed_by_the_citizen_stays_text(page, stack):
    open_widget(page, stack)
    attack = '<img src=x onerror="window.__pwned = 1"><b>vet</b>'
    send_text(page, attack)
    wait_for(lambda: attack in texts(page, ".lw-message--user .lw-message__text"))
    assert not page.find_elements(By.CSS_SELECTOR, ".lw-messages img, .lw-messages b")
    assert page.execute_script("return window.__pwned") is None


def test_links_in_bot_text_are_only_http(page, stack):
    load(page, stack)
    rendered = page.execute_script(
        """
        const item = Leerwijzer.renderMessage(
          {who: 'bot', lang: 'nl', buttons: [{title: '<i>knop</i>', payload: '/x'}],
           text: 'Kijk op https://example.org/a?b=1. Niet javascript:alert(1) '
                 + 'of <script>x</script>'},
          {language: 'nl', title: 'Leerwijzer', links: true, onChoice: () => {}});
        return {html: item.innerHTML,
                links: Array.from(item.querySelectorAll('a')).map(a => a.href),
                scripts: item.querySelectorAll('script, i').length,
                text: item.querySelector('p').textContent};
        """
    )
    assert rendered["links"] == ["https://example.org/a?b=1"]
    assert rendered["scripts"] == 0
    assert "<script>x</script>" in rendered["text"]
    assert "&lt;i&gt;knop&lt;/i&gt;" in rendered["html"]


def test_language_switch_is_sent_as_message_and_metadata(page, stack):
    open_widget(page, stack)
    page.find_element(By.CSS_SELECTOR, ".lw-language").click()
    page.find_element(By.CSS_SELECTOR, '.lw-languages button[lang="en"]').click()
    assert page.find_element(By.CSS_SELECTOR, ".lw-send").text == "Send"
    assert page.find_element(By.CSS_SELECTOR, ".lw-root").get_attribute("lang") == "en"
    assert "only speaks Dutch" in page.find_element(By.CSS_SELECTOR, ".lw-notice").text
    assert "Language: English" in texts(page, ".lw-message--note")
    session_id = page.execute_script("return Leerwijzer.widget.sessionId()")

    def switched():
        events = user_events(stack, session_id)
        return events and events[-1]["parse_data"]["intent"]["name"] == "change_language" and events

    events = wait_for(switched, message="no change_language in the tracker")
    last = events[-1]
    assert json.loads(last["text"].removeprefix("/change_language")) == {"language": "en"}
    # Rasa adds its own keys (model_id, assistant_id) to the metadata.
    assert last["metadata"].items() >= {"language": "en", "client": "widget"}.items()
    assert events[0]["metadata"].items() >= {"language": "nl", "client": "widget"}.items()
    # The assistant still answers in Dutch, and its messages say so to screen readers.
    wait_for(lambda: len(texts(page)) >= 2)
    languages = page.execute_script(
        "return Array.from(document.querySelectorAll('.lw-message--bot .lw-message__text'))"
        ".map(p => p.lang)"
    )
    assert set(languages) == {"nl"}


def test_andere_taal_opens_the_language_choice(page, stack):
    open_widget(page, stack)
    choice(page, "Andere taal").click()
    toggle = page.find_element(By.CSS_SELECTOR, ".lw-language")
    assert toggle.get_attribute("aria-expanded") == "true"
    names = [b.text for b in page.find_elements(By.CSS_SELECTOR, ".lw-languages button")]
    assert names == ["Nederlands", "English", "العربية", "Türkçe", "Українська", "Polski"]


def test_conversation_survives_a_page_load_in_the_same_tab(page, stack):
    open_widget(page, stack)
    session_id = page.execute_script("return Leerwijzer.widget.sessionId()")
    assert page.execute_script("return sessionStorage.length") == 1
    load(page, stack, "/")
    assert page.execute_script("return Leerwijzer.widget.sessionId()") == session_id
    assert texts(page), "the transcript is shown again"
    page.find_element(By.CSS_SELECTOR, ".lw-forget").click()
    wait_for(lambda: page.execute_script("return Leerwijzer.widget.sessionId()") != session_id)
    wait_for(lambda: user_events(stack, session_id) == [], message="conversation not deleted")


def embed_widget(driver, stack, **data: str) -> None:
    """A municipality's page with the widget's tag and these data-* options (no other widget).

    A `container` "#id" is a section at the top of the page.
    """
    driver.get(f"{stack.config.web_url}/privacy.html")
    driver.execute_script(
        """
        if (arguments[0].container) {
          const box = document.createElement("section");
          box.id = arguments[0].container.slice(1);
          document.body.prepend(box);
        }
        const tag = document.createElement("script");
        tag.src = "widget/leerwijzer-widget.js";
        Object.assign(tag.dataset, arguments[0]);
        document.body.appendChild(tag);
        """,
        data,
    )
    wait_for(lambda: driver.execute_script("return Boolean(window.Leerwijzer?.widget)"))
    if "container" not in data:
        driver.find_element(By.CSS_SELECTOR, ".lw-launcher").click()
    wait_for(lambda: choice(driver, "Een cursus zoeken"), message="no greeting with buttons")


def test_a_site_with_data_place_and_memory_storage(page, stack):
    """data-place reaches the assistant; data-storage="memory" keeps nothing in the browser."""
    embed_widget(page, stack, serverUrl=stack.config.rasa_url, place="Roosendaal", storage="memory")
    send_text(page, "Ik zoek een computercursus")
    wait_for_bot_text(page, "Waar: Roosendaal")
    session_id = page.execute_script("return Leerwijzer.widget.sessionId()")
    sent = {"client": "widget", "place": "Roosendaal"}
    assert all(e["metadata"].items() >= sent.items() for e in user_events(stack, session_id))
    stored = page.execute_script(
        "return [sessionStorage.length, localStorage.length, document.cookie]"
    )
    assert stored == [0, 0, ""]
    # Without memory storage the same site keeps the conversation for the tab.
    embed_widget(page, stack, serverUrl=stack.config.rasa_url, place="Roosendaal")
    assert page.execute_script("return sessionStorage.length") == 1


def test_a_site_with_its_own_theme_container_and_privacy_page(page, stack):
    embed_widget(
        page,
        stack,
        serverUrl=stack.config.rasa_url,
        container="#ask-here",
        themeCss="kiosk/kiosk.css",  # a sheet that privacy.html does not load itself
        themeClass="gemeente-theme",
        privacyUrl="https://gemeente.example/privacy",
    )
    widget = page.find_element(By.CSS_SELECTOR, "#ask-here > .lw-widget")
    assert "gemeente-theme" in widget.get_attribute("class").split()
    assert not page.find_elements(By.CSS_SELECTOR, ".lw-launcher")  # inline, no floating button
    stylesheets = page.execute_script(
        "return [...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href)"
    )
    assert f"{stack.config.web_url}/kiosk/kiosk.css" in stylesheets
    privacy = page.find_element(By.CSS_SELECTOR, ".lw-widget .lw-footer a")
    assert privacy.get_attribute("href") == "https://gemeente.example/privacy"


def test_read_aloud_uses_a_dutch_voice_and_hides_without_voices(page, stack):
    open_widget(page, stack)
    has_voices = page.execute_script("return speechSynthesis.getVoices().length > 0")
    buttons = page.find_elements(By.CSS_SELECTOR, ".lw-read")
    assert buttons and all(b.is_displayed() == has_voices for b in buttons)

    page.switch_to.new_window("tab")
    page.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {
            "source": """
            window.__spoken = [];
            class FakeUtterance { constructor(text) { this.text = text; } }
            const voices = [{name: 'English', lang: 'en-GB'}, {name: 'Nederlands', lang: 'nl-NL'}];
            const fake = {getVoices: () => voices, addEventListener() {}, cancel() {},
                          speak(u) { window.__spoken.push(
                              {text: u.text, lang: u.lang, voice: u.voice && u.voice.name}); }};
            Object.defineProperty(window, 'speechSynthesis', {value: fake});
            window.SpeechSynthesisUtterance = FakeUtterance;
            """
        },
    )
    open_widget(page, stack)
    read = page.find_element(By.CSS_SELECTOR, ".lw-read")
    assert read.is_displayed() and read.text == "Voorlezen"
    read.click()
    spoken = page.execute_script("return window.__spoken")
    assert spoken[0]["voice"] == "Nederlands" and spoken[0]["lang"] == "nl-NL"
    assert "computerprogramma" in spoken[0]["text"]
    assert read.text == "Stop met voorlezen"


def test_320_px_wide_and_200_percent_text(page, stack):
    page.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 320, "height": 640, "deviceScaleFactor": 1, "mobile": True},
    )
    open_widget(page, stack)
    choice(page, "Een cursus zoeken").click()
    wait_for_bot_text(page, "Wat wilt u leren?")
    save_screenshot(page, "widget-320px")
    for scale in ("100%", "200%"):
        page.execute_script("document.documentElement.style.fontSize = arguments[0]", scale)
        overflow = page.execute_script(
            """
            const panel = document.querySelector('.lw-panel');
            const wide = Array.from(panel.querySelectorAll('button, input, a, p'))
              .filter(e => e.offsetParent && e.getBoundingClientRect().right > 321)
              .map(e => e.className + ': ' + e.textContent.slice(0, 30));
            return {panel: panel.getBoundingClientRect().width, wide,
                    scroll: panel.scrollWidth - panel.clientWidth};
            """
        )
        assert overflow["panel"] <= 320
        assert overflow["wide"] == [], overflow
        assert overflow["scroll"] <= 0
    send = page.find_element(By.CSS_SELECTOR, ".lw-send")
    assert send.is_displayed()


def test_reduced_motion_scrolls_without_animation(page, stack):
    page.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]},
    )
    open_widget(page, stack)
    assert page.execute_script(
        "return getComputedStyle(document.querySelector('.lw-log')).scrollBehavior"
    ) in ("auto", "")


def test_axe_widget_open_with_messages_and_buttons(page, stack):
    open_widget(page, stack)
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)
    choice(page, "Een cursus zoeken").click()
    wait_for_bot_text(page, "Wat wilt u leren?")
    send_text(page, "computercursus in Breda")
    wait_for(lambda: shown_course_names(page), message=str(texts(page)))
    page.find_element(By.CSS_SELECTOR, ".lw-language").click()
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)


def test_axe_widget_in_arabic_right_to_left(page, stack):
    open_widget(page, stack)
    page.find_element(By.CSS_SELECTOR, ".lw-language").click()
    page.find_element(By.CSS_SELECTOR, '.lw-languages button[lang="ar"]').click()
    root = page.find_element(By.CSS_SELECTOR, ".lw-root")
    assert root.get_attribute("dir") == "rtl" and root.get_attribute("lang") == "ar"
    assert page.find_element(By.CSS_SELECTOR, ".lw-send").text == "إرسال"
    wait_for(lambda: len(texts(page)) >= 2, message="no answer to the language switch")
    launcher = page.find_element(By.CSS_SELECTOR, ".lw-launcher").rect
    assert launcher["x"] < 100, "the launcher sits on the left in right-to-left layout"
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)
    save_screenshot(page, "widget-arabic")


@pytest.mark.no_browser
def test_pages_forbid_other_origins_and_inline_scripts(stack):
    for path in ("/", "/kiosk/", "/widget/leerwijzer-widget.js"):
        response = requests.get(f"{stack.config.web_url}{path}", timeout=5)
        assert response.status_code == 200, path
        policy = dict(
            part.strip().split(" ", 1)
            for part in response.headers["Content-Security-Policy"].split(";")
        )
        assert policy["default-src"] == "'self'"
        assert f"ws://*:{stack.config.rasa_port}" in policy["connect-src"].split()
        assert "unsafe" not in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "no-referrer"
