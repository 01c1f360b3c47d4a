"""The guard on every channel, over real HTTP with Rasa's own channel registration.

REST (bot/channels/rest.py), WhatsApp and Twilio each refuse a message over the length cap
or over the sender's rate limit with the guard's Dutch text, and Rasa never sees it.
The socketio channel gets the same hook on its own branch.
"""

from __future__ import annotations

import requests
from twilio.request_validator import RequestValidator

from bot.channels.rest import GuardedRestInput
from bot.channels.twilio_signed import SignedTwilioInput
from bot.channels.whatsapp import WhatsAppInput
from bot.channels.whatsapp_store import MemoryWhatsAppStore
from bot.guard import Guard, MemoryLimiter, refusal_text
from tests.bot.channels.conftest import (
    ChannelServer,
    StubAgent,
    channel_config,
    graph_client,
    text_payload,
)

RATE = refusal_text("rate_limited")
TOO_LONG = refusal_text("too_long")


def small_guard(limit: int = 3) -> Guard:
    return Guard(MemoryLimiter(limit, 60))


def rest_post(server: ChannelServer, body) -> requests.Response:
    kwargs = {"data": body} if isinstance(body, bytes | str) else {"json": body}
    return requests.post(
        f"{server.url}/webhooks/rest/webhook", headers={"Connection": "close"}, timeout=10, **kwargs
    )


def test_rest_refuses_over_the_rate_limit_per_sender():
    with ChannelServer(GuardedRestInput(small_guard(3))) as server:
        answers = [rest_post(server, {"sender": "a", "message": "hallo"}).json() for _ in range(4)]
        assert [a[0]["text"] for a in answers[:3]] == ["Dank u. Ik zoek het voor u op."] * 3
        assert answers[3] == [{"recipient_id": "a", "text": RATE}]
        assert rest_post(server, {"sender": "b", "message": "hallo"}).json()[0]["text"] != RATE
        assert len(server.agent.messages) == 4


def test_rest_refuses_a_too_long_message_and_passes_the_longest_allowed():
    with ChannelServer(GuardedRestInput(small_guard(10))) as server:
        refused = rest_post(server, {"sender": "a", "message": "x" * 2001})
        assert refused.status_code == 200 and refused.json() == [
            {"recipient_id": "a", "text": TOO_LONG}
        ]
        assert rest_post(server, {"sender": "a", "message": "x" * 2000}).json()[0]["text"]
        assert [len(m.text) for m in server.agent.messages] == [2000]


def test_rest_refuses_bodies_rasa_would_crash_on():
    with ChannelServer(GuardedRestInput(small_guard(100))) as server:
        bad = [b"not json", b"[1, 2]", {"sender": "a"}, {"sender": "a", "message": 5}]
        bad += [{"sender": "a", "message": {"text": "x"}}, {"sender": ["x"], "message": "x"}]
        for body in bad:
            assert rest_post(server, body).status_code == 400, body
        assert server.agent.messages == []


def test_rest_ignores_a_claimed_input_channel():
    with ChannelServer(GuardedRestInput(small_guard(10))) as server:
        body = {"sender": "a", "message": "hallo", "input_channel": "whatsapp"}
        rest_post(server, body)
        assert server.agent.messages[0].input_channel == "rest"


def test_rest_refusal_follows_the_language_in_the_metadata():
    with ChannelServer(GuardedRestInput(small_guard(10))) as server:
        body = {"sender": "a", "message": "x" * 2001, "metadata": {"language": "en"}}
        assert rest_post(server, body).json()[0]["text"] == refusal_text("too_long", "en")


def whatsapp_server(fake_graph, clock, message_guard: Guard) -> ChannelServer:
    channel = WhatsAppInput(
        channel_config(fake_graph),
        store=MemoryWhatsAppStore(),
        graph=graph_client(fake_graph),
        clock=clock,
        message_guard=message_guard,
    )
    return ChannelServer(channel)


def test_whatsapp_refuses_over_the_rate_limit(fake_graph, clock):
    with whatsapp_server(fake_graph, clock, small_guard(2)) as server:
        for _ in range(3):
            server.post(text_payload("hallo"))
        assert len(server.agent.messages) == 2
        assert fake_graph.delivered[-1].body["text"]["body"] == RATE


def test_whatsapp_refuses_a_too_long_message(fake_graph, clock):
    with whatsapp_server(fake_graph, clock, small_guard(5)) as server:
        server.post(text_payload("x" * 2001))
        assert server.agent.messages == []
        assert [r.body["text"]["body"] for r in fake_graph.delivered] == [TOO_LONG]


TWILIO_TOKEN = "twilio-test-token"
TWILIO_PATH = "/webhooks/twilio/webhook"


def twilio_post(server: ChannelServer, body: str, number: str = "+31612345678"):
    form = {"From": f"whatsapp:{number}", "To": "whatsapp:+14155238886", "Body": body,
            "MessageSid": "SM1", "AccountSid": "AC1"}  # fmt: skip
    url = f"{server.url}{TWILIO_PATH}"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    headers = {"Connection": "close", "X-Twilio-Signature": signature}
    return requests.post(url, data=form, headers=headers, timeout=10)


def test_twilio_refuses_with_twiml_over_the_rate_limit_and_length():
    channel = SignedTwilioInput("AC123", TWILIO_TOKEN, "+31850000000", message_guard=small_guard(2))
    agent = StubAgent()
    agent.reply = lambda message: []  # an answer would call Twilio's real API
    with ChannelServer(channel, agent) as server:
        assert twilio_post(server, "hallo").status_code == 204
        too_long = twilio_post(server, "x" * 2001)
        assert too_long.status_code == 200 and "text/xml" in too_long.headers["Content-Type"]
        assert "<Message>Uw bericht is te lang voor mij." in too_long.text
        limited = twilio_post(server, "hallo")
        assert "<Message>U stuurt veel berichten" in limited.text
        assert twilio_post(server, "hallo", number="+31687654321").status_code == 204
        assert len(agent.messages) == 2


def test_rest_passes_typed_payloads_on_with_plain_entity_values_only():
    with ChannelServer(GuardedRestInput(small_guard(10))) as server:
        rest_post(server, {"sender": "a", "message": '/inform{"topic": {}, "age": "45"}'})
        assert server.agent.texts == ['/inform{"age": "45"}']


def test_whatsapp_passes_typed_payloads_on_with_plain_entity_values_only(fake_graph, clock):
    with whatsapp_server(fake_graph, clock, small_guard(5)) as server:
        server.post(text_payload('/inform{"topic": [1]}'))
        assert server.agent.texts == ["/inform"]


def test_twilio_passes_typed_payloads_on_with_plain_entity_values_only():
    channel = SignedTwilioInput("AC123", TWILIO_TOKEN, "+31850000000", message_guard=small_guard())
    agent = StubAgent()
    agent.reply = lambda message: []
    with ChannelServer(channel, agent) as server:
        assert twilio_post(server, '/inform{"topic": {"a": 1}}').status_code == 204
        assert agent.texts == ["/inform"]
