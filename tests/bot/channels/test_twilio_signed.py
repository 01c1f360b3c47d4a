"""Twilio with its request signature checked, against Rasa's own Twilio channel.

Requests are signed the way Twilio signs them (twilio.request_validator, HMAC-SHA1 of the
URL plus the sorted form fields with the account's auth token).
"""

from __future__ import annotations

import requests
from rasa.core.channels.twilio import TwilioInput
from twilio.request_validator import RequestValidator

from bot.channels.twilio_signed import SignedTwilioInput
from tests.bot.channels.conftest import ChannelServer, StubAgent

AUTH_TOKEN = "twilio-test-token"
FORM = {
    "From": "whatsapp:+31612345678",
    "To": "whatsapp:+14155238886",
    "Body": "Ik zoek een computercursus in Breda",
    "MessageSid": "SM1234567890abcdef1234567890abcdef",
    "AccountSid": "AC1234567890abcdef1234567890abcdef",
}
PATH = "/webhooks/twilio/webhook"


class SilentAgent(StubAgent):
    """Records messages without answering (an answer would call Twilio's real API)."""

    def __init__(self) -> None:
        super().__init__()
        self.reply = lambda message: []


def channel(**options) -> SignedTwilioInput:
    return SignedTwilioInput(
        "AC123", options.pop("auth_token", AUTH_TOKEN), "+31850000000", **options
    )


def post(server: ChannelServer, form: dict, signature: str | None) -> requests.Response:
    headers = {"Connection": "close"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return requests.post(f"{server.url}{PATH}", data=form, headers=headers, timeout=10)


def signature_for(url: str, form: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


def test_a_signed_request_reaches_rasa():
    with ChannelServer(channel(), SilentAgent()) as server:
        answer = post(server, FORM, signature_for(f"{server.url}{PATH}", FORM))
        assert answer.status_code == 204
        [message] = server.agent.messages
        assert message.text == FORM["Body"] and message.input_channel == "twilio"


def test_missing_wrong_or_tampered_signatures_are_refused():
    with ChannelServer(channel(), SilentAgent()) as server:
        url = f"{server.url}{PATH}"
        tampered = {**FORM, "Body": "iets anders"}
        for form, signature in [
            (FORM, None),
            (FORM, "bm90IGEgc2lnbmF0dXJl"),
            (FORM, signature_for(url, FORM, token="another-token")),
            (tampered, signature_for(url, FORM)),
            ({**FORM, "From": "whatsapp:+31600000000"}, signature_for(url, FORM)),
        ]:
            assert post(server, form, signature).status_code == 403
        assert server.agent.messages == []


def test_behind_a_proxy_the_public_url_is_what_twilio_signed():
    public = "https://leerwijzer.example.nl/webhooks/twilio/webhook"
    with ChannelServer(channel(webhook_url=public), SilentAgent()) as server:
        assert post(server, FORM, signature_for(public, FORM)).status_code == 204
        assert post(server, FORM, signature_for(f"{server.url}{PATH}", FORM)).status_code == 403
        assert len(server.agent.messages) == 1


def test_without_an_auth_token_the_webhook_is_closed():
    with ChannelServer(channel(auth_token=""), SilentAgent()) as server:
        assert post(server, FORM, signature_for(f"{server.url}{PATH}", FORM, "")).status_code == 503
        assert requests.get(f"{server.url}/webhooks/twilio/", timeout=5).status_code == 200
        assert server.agent.messages == []


def test_from_credentials_reads_the_public_url():
    made = SignedTwilioInput.from_credentials(
        {
            "account_sid": "AC1",
            "auth_token": "t",
            "twilio_number": "+31",
            "webhook_url": "https://x/",
        }
    )
    assert (made.auth_token, made.webhook_url, made.debug_mode) == ("t", "https://x/", False)


def test_rasas_own_twilio_channel_accepts_unsigned_requests():
    """Why SignedTwilioInput exists; if Rasa starts checking, this test says so."""
    with ChannelServer(TwilioInput("AC123", AUTH_TOKEN, "+31850000000"), SilentAgent()) as server:
        assert post(server, FORM, signature=None).status_code == 204
        assert len(server.agent.messages) == 1


def test_the_signature_check_covers_only_the_twilio_webhook():
    from rasa.core.channels.channel import register
    from rasa.core.channels.rest import RestInput

    server = ChannelServer(channel(), SilentAgent())
    register([RestInput()], server.app, route="/webhooks/")
    with server:
        answer = requests.post(
            f"{server.url}/webhooks/rest/webhook",
            json={"sender": "rest-user", "message": "hallo"},
            headers={"Connection": "close"},
            timeout=10,
        )
        assert answer.status_code == 200
        assert [m.text for m in server.agent.messages] == ["hallo"]
