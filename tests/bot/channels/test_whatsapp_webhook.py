"""The WhatsApp webhook over real HTTP: Rasa's channel registration, a stub agent, a fake Graph API.

Each test posts payloads in Meta's format to the channel, waits until the channel has
handled them, then checks what the agent received and what reached the fake Graph API.
"""

from __future__ import annotations

import json
import logging

import pytest

import bot.channels.whatsapp as whatsapp
from bot.channels.failsafe import apology
from bot.channels.whatsapp import (
    MAX_MESSAGE_CHARS,
    TOO_LONG_TEXT,
    UNSUPPORTED_TEXT,
    WhatsAppConfig,
    WhatsAppInput,
)
from bot.channels.whatsapp_store import SqlWhatsAppStore
from tests.bot.channels.conftest import (
    APP_SECRET,
    FIXTURE_TIME,
    UNSUPPORTED,
    USER,
    VERIFY_TOKEN,
    ChannelServer,
    payload,
    sign,
    text_payload,
)

LONG_TITLES = [
    {"title": "Computercursus voor beginners", "payload": '/course_details{"course_id": "a"}'},
    {"title": "Nederlands leren in de bibliotheek", "payload": '/course_details{"course_id": "b"}'},
    {"title": "Omgaan met geld en formulieren", "payload": '/course_details{"course_id": "c"}'},
    {"title": "Een mens spreken", "payload": "/human_handoff"},
]


# --- verification -----------------------------------------------------------------------


def test_verification_answers_the_challenge_as_plain_text(server):
    answer = server.verify(
        **{"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    )
    assert answer.status_code == 200
    assert answer.text == "1158201444"
    assert answer.headers["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {},
    ],
)
def test_verification_with_a_wrong_token_or_mode_is_forbidden(server, params):
    answer = server.verify(**params)
    assert answer.status_code == 403
    assert "1" not in answer.text


# --- signature --------------------------------------------------------------------------


def signed_then_altered() -> tuple[bytes, str]:
    body = json.dumps(text_payload("hallo")).encode()
    return body.replace(b"hallo", b"hallO"), sign(body)


@pytest.mark.parametrize(
    ("body", "signature"),
    [
        (json.dumps(text_payload("hallo")).encode(), None),  # missing
        (json.dumps(text_payload("hallo")).encode(), "sha256=" + "0" * 64),  # wrong
        (json.dumps(text_payload("hallo")).encode(), sign(b"{}")),  # for another body
        (b"{}", sign(b"{}", "another-app-secret")),  # another app's secret
        signed_then_altered(),  # right signature, body altered on the way
        (b"this is not JSON", None),  # refused before anything is parsed: 401, not 400
    ],
    ids=["missing", "wrong", "other-body", "other-secret", "altered", "not-json"],
)
def test_a_missing_or_wrong_signature_is_refused_before_parsing(
    server, fake_graph, monkeypatch, body, signature
):
    parsed = []
    monkeypatch.setattr(whatsapp, "inbound_messages", lambda *a: parsed.append(a) or [])
    monkeypatch.setattr(whatsapp.json, "loads", lambda *a, **k: parsed.append(a) or {})
    answer = server.post(body, signature=signature or False)
    assert answer.status_code == 401
    assert parsed == [] and server.agent.messages == [] and fake_graph.requests == []


def test_a_signed_body_that_is_not_json_is_a_bad_request(server):
    assert server.post(b"not JSON", signature=sign(b"not JSON")).status_code == 400


# --- messages ---------------------------------------------------------------------------


def test_a_text_message_gives_one_turn_under_a_hashed_sender_id(server, fake_graph):
    answer = server.post(payload("text"))
    assert answer.status_code == 200
    [message] = server.agent.messages
    assert message.text == "Ik zoek een computercursus in Breda"
    assert message.input_channel == "whatsapp"
    assert message.sender_id.startswith("wa-") and USER not in message.sender_id
    assert "wamid" not in message.message_id and USER not in json.dumps(message.metadata)
    [reply] = fake_graph.delivered
    assert reply.body["to"] == USER
    assert reply.body["text"]["body"] == "Dank u. Ik zoek het voor u op."


def test_the_webhook_answers_before_the_turn_is_done(server, fake_graph):
    """Meta sends a message again when the webhook is slow: answer first, then work."""
    import threading

    release = threading.Event()
    server.agent.before_reply = lambda: release.wait(5)
    answer = server.post(payload("text"), drain=False)
    assert answer.status_code == 200 and fake_graph.requests == []
    release.set()
    fake_graph.wait_for(lambda delivered: len(delivered) == 1)


@pytest.mark.parametrize(
    ("name", "text"),
    [("interactive_button_reply", "/find_course"), ("interactive_list_reply", "/ask_budget")],
)
def test_a_tapped_button_or_list_row_sends_its_payload(server, name, text):
    server.post(payload(name))
    assert server.agent.texts == [text]


def test_the_same_message_delivered_twice_gives_one_turn(server, fake_graph):
    delivery = payload("text")
    assert server.post(delivery).status_code == 200
    assert server.post(delivery).status_code == 200
    assert len(server.agent.messages) == 1
    assert len(fake_graph.delivered) == 1


def test_two_processes_sharing_the_store_give_one_turn(make_server, fake_graph, tmp_path):
    """Two Rasa instances behind a load balancer: each gets a copy of a retried delivery."""
    url = f"sqlite:///{tmp_path / 'whatsapp.db'}"
    first = make_server(store=SqlWhatsAppStore(url))
    second = make_server(store=SqlWhatsAppStore(url))
    delivery = payload("text")
    first.post(delivery, drain=False)
    second.post(delivery, drain=False)
    first.drain()
    second.drain()
    assert len(first.agent.messages) + len(second.agent.messages) == 1
    assert len(fake_graph.delivered) == 1


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_unsupported_types_get_one_friendly_sentence(server, fake_graph, name):
    assert server.post(payload(name)).status_code == 200
    assert server.agent.messages == []
    [reply] = fake_graph.delivered
    assert reply.body["text"]["body"] == UNSUPPORTED_TEXT


def test_the_unsupported_sentence_is_plain_dutch_with_u():
    words = UNSUPPORTED_TEXT.rstrip("?").replace(",", "").split()
    assert "u" in words and "uw" in words and "je" not in words
    assert UNSUPPORTED_TEXT.count(".") + UNSUPPORTED_TEXT.count("?") == 1  # one sentence


def test_status_callbacks_are_ignored(server, fake_graph):
    assert server.post(payload("statuses")).status_code == 200
    assert server.agent.messages == [] and fake_graph.requests == []


def test_a_message_over_the_cap_gets_a_plain_answer_and_no_turn(server, fake_graph):
    server.post(text_payload("a" * (MAX_MESSAGE_CHARS + 1)))
    assert server.agent.messages == []
    assert [r.body["text"]["body"] for r in fake_graph.delivered] == [TOO_LONG_TEXT]
    server.post(text_payload("a" * MAX_MESSAGE_CHARS))
    assert len(server.agent.messages) == 1


def test_a_failing_turn_is_logged_answered_and_the_next_message_still_works(
    server, fake_graph, caplog
):
    def fail(message):
        raise RuntimeError("Ik zoek een computercursus")

    server.agent.reply = fail
    with caplog.at_level(logging.ERROR):
        assert server.post(text_payload("eerste")).status_code == 200
    assert "RuntimeError" in caplog.text and "computercursus" not in caplog.text
    server.agent.reply = lambda message: [{"text": "Weer goed."}]
    server.post(text_payload("tweede"))
    assert [r.body["text"]["body"] for r in fake_graph.delivered] == [
        apology("failed"),
        "Weer goed.",
    ]


def test_a_turn_without_an_answer_gets_one(server, fake_graph, caplog):
    server.agent.reply = lambda message: []  # a killed action server: Rasa says nothing
    with caplog.at_level(logging.ERROR):
        server.post(text_payload("eerste"))
    assert [r.body["text"]["body"] for r in fake_graph.delivered] == [apology("silent")]
    assert "without an answer" in caplog.text and "eerste" not in caplog.text


# --- buttons and typed numbers ----------------------------------------------------------


def test_rasa_buttons_arrive_as_reply_buttons_or_a_list(server, fake_graph):
    short = [{"title": "Ja", "payload": "/affirm"}, {"title": "Nee", "payload": "/deny"}]
    longer = [{"title": "Wie betaalt mijn cursus?", "payload": "/ask_budget"}, *short]
    server.agent.reply = lambda message: [
        {"text": "Klopt dat?", "buttons": short},
        {"text": "Wat wilt u doen?", "buttons": longer},
    ]
    server.post(text_payload("hallo"))
    first, second = (r.body["interactive"] for r in fake_graph.delivered)
    assert first["type"] == "button" and first["body"]["text"] == "Klopt dat?"
    assert second["type"] == "list" and len(second["action"]["sections"][0]["rows"]) == 3


def test_a_typed_number_after_a_numbered_list_sends_that_button(server, fake_graph):
    server.agent.reply = lambda message: [{"text": "Welke cursus?", "buttons": LONG_TITLES}]
    server.post(text_payload("cursussen"))
    [numbered] = fake_graph.delivered
    assert "2. Nederlands leren in de bibliotheek" in numbered.body["text"]["body"]
    assert numbered.body["text"]["body"].endswith("Typ 1, 2, 3 of 4.")

    server.agent.reply = lambda message: [{"text": "Goed."}]
    server.post(text_payload("2"))
    assert server.agent.texts[-1] == '/course_details{"course_id": "b"}'
    server.post(text_payload("2"))  # the last turn had no buttons: "2" is just "2"
    assert server.agent.texts[-1] == "2"


def test_numbers_refer_to_the_last_list_the_user_actually_got(server, fake_graph):
    server.agent.reply = lambda message: [{"text": "Welke cursus?", "buttons": LONG_TITLES}]
    server.post(text_payload("cursussen"))
    server.agent.reply = lambda message: [
        {"text": "Andere keuzes", "buttons": [{"title": "Nee", "payload": "/deny"}]}
    ]
    fake_graph.answer_next(400)  # WhatsApp refuses the new buttons: the user never sees them
    server.post(text_payload("iets anders"))
    server.agent.reply = lambda message: []
    server.post(text_payload("3"))
    assert server.agent.texts[-1] == '/course_details{"course_id": "c"}'


def test_a_typed_number_works_after_reply_buttons_too(server):
    server.agent.reply = lambda message: [
        {"text": "Wat wilt u?", "buttons": [{"title": "Cursus", "payload": "/find_course"}]}
    ]
    server.post(text_payload("hallo"))
    server.post(text_payload("1"))
    assert server.agent.texts[-1] == "/find_course"


def test_numbers_are_kept_per_user(server):
    server.agent.reply = lambda message: (
        [{"text": "Welke?", "buttons": LONG_TITLES}] if message.text == "lijst" else []
    )
    server.post(text_payload("lijst", wa_id="31600000001"))
    server.post(text_payload("1", wa_id="31600000002"))
    server.post(text_payload("1", wa_id="31600000001"))
    assert server.agent.texts == ["lijst", "1", '/course_details{"course_id": "a"}']


def test_typed_numbers_survive_a_restart_of_rasa(make_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'whatsapp.db'}"
    before = make_server(store=SqlWhatsAppStore(url))
    before.agent.reply = lambda message: [{"text": "Welke?", "buttons": LONG_TITLES}]
    before.post(text_payload("cursussen"))
    before.__exit__()
    after = make_server(store=SqlWhatsAppStore(url))
    after.post(text_payload("4"))
    assert after.agent.texts == ["/human_handoff"]


# --- the 24-hour window -----------------------------------------------------------------


def test_a_message_older_than_24_hours_is_not_answered(server, fake_graph, clock):
    clock.now = FIXTURE_TIME + 25 * 3600  # delivered late, e.g. after an outage
    server.post(payload("text"))
    assert server.agent.messages == [] and fake_graph.requests == []


def test_no_free_form_message_once_the_window_has_closed(server, fake_graph, clock, caplog):
    server.agent.before_reply = lambda: clock.advance(24 * 3600 + 60)  # a very late answer
    with caplog.at_level(logging.WARNING):
        server.post(payload("text"))
    assert len(server.agent.messages) == 1
    assert fake_graph.requests == []
    assert "24 h" in caplog.text


def test_within_the_window_a_late_answer_still_goes_out(server, fake_graph, clock):
    server.agent.before_reply = lambda: clock.advance(23 * 3600)
    server.post(payload("text"))
    assert len(fake_graph.delivered) == 1


# --- privacy in logs --------------------------------------------------------------------


def test_logs_hold_no_message_text_phone_number_or_message_id(server, fake_graph, caplog):
    secret_text = "Mijn naam is Fatima en ik zoek taalles"
    delivery = payload("text", text=secret_text)
    message_id = delivery["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    server.agent.reply = lambda message: [
        {"text": "Antwoord met geheim 4711", "buttons": LONG_TITLES}
    ]
    fake_graph.answer_next(500, 400)  # a retry and a refusal are logged too
    with caplog.at_level(logging.DEBUG):
        server.post(delivery)
        server.post(delivery)  # duplicate
        server.post(payload("image"))
        server.post(text_payload("x" * 3000))
        server.post(json.dumps(delivery).encode(), signature="sha256=bad")
    assert caplog.records, "the channel logs what happened"
    logged = caplog.text
    for secret in (USER, secret_text, "Fatima", message_id, "geheim 4711", "Computercursus"):
        assert secret not in logged


# --- not configured ---------------------------------------------------------------------


def test_without_settings_the_webhook_answers_503_and_warns_once(caplog):
    with caplog.at_level(logging.WARNING, logger="bot.channels.whatsapp"):
        channel = WhatsAppInput(WhatsAppConfig(app_secret=APP_SECRET))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "WHATSAPP_PHONE_NUMBER_ID" in warnings[0].getMessage()
    assert "WHATSAPP_APP_SECRET" not in warnings[0].getMessage()
    with ChannelServer(channel) as server:
        assert server.verify(**{"hub.mode": "subscribe", "hub.verify_token": ""}).status_code == 503
        answer = server.post(payload("text"))
        assert answer.status_code == 503 and "not configured" in answer.text
        assert server.agent.messages == []


def test_credentials_from_rasa_fill_the_config(clean_settings, tmp_path):
    clean_settings.setenv("VAR_DIR", str(tmp_path / "var"))
    config = WhatsAppConfig.from_credentials(
        {"phone_number_id": " 123 ", "access_token": "t", "app_secret": "s", "verify_token": "v",
         "api_base_url": "", "store_url": None, "unknown": "x"}
    )  # fmt: skip
    assert config.phone_number_id == "123" and not config.missing
    assert config.api_base_url == "https://graph.facebook.com/v21.0"
    assert config.store_url == f"sqlite:///{tmp_path / 'var' / 'whatsapp.db'}"
    assert WhatsAppConfig.from_credentials(None).missing == list(WhatsAppConfig.REQUIRED.values())
