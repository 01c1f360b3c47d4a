"""WhatsApp message formats: parsing Meta's webhook payloads, Rasa buttons to WhatsApp."""

from __future__ import annotations

import pytest

from bot.channels.whatsapp import sender_id_for, signature_is_valid
from bot.channels.whatsapp_format import (
    BODY_LIMIT,
    LIST_BUTTON_LABEL,
    TEXT_LIMIT,
    button_messages,
    choice_for_number,
    how_to_choose,
    inbound_messages,
    split_for_body,
    split_text,
)
from bot.channels.whatsapp_store import Choice
from tests.bot.channels.conftest import PHONE_NUMBER_ID, UNSUPPORTED, USER, payload, sign


def buttons(*titles: str) -> list[dict]:
    return [{"title": t, "payload": f'/choice{{"n": {i}}}'} for i, t in enumerate(titles)]


# --- webhook payloads -------------------------------------------------------------------


def test_a_text_message_is_read_with_sender_id_and_time():
    [message] = inbound_messages(payload("text"), PHONE_NUMBER_ID)
    assert (message.kind, message.text) == ("text", "Ik zoek een computercursus in Breda")
    assert message.wa_id == USER
    assert message.message_id.startswith("wamid.")
    assert message.timestamp == 1_750_000_000


@pytest.mark.parametrize(
    ("name", "kind", "text"),
    [
        ("interactive_button_reply", "button_reply", "/find_course"),
        ("interactive_list_reply", "list_reply", "/ask_budget"),
    ],
)
def test_a_tapped_button_or_list_row_gives_its_id(name, kind, text):
    [message] = inbound_messages(payload(name), PHONE_NUMBER_ID)
    assert (message.kind, message.text) == (kind, text)


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_other_types_are_read_without_text(name):
    [message] = inbound_messages(payload(name), PHONE_NUMBER_ID)
    assert message.text is None
    assert message.kind == name


def test_statuses_are_not_messages():
    assert inbound_messages(payload("statuses"), PHONE_NUMBER_ID) == []


def test_messages_for_another_number_are_skipped():
    assert inbound_messages(payload("text"), "999999999999") == []


@pytest.mark.parametrize(
    "body",
    [None, [], "text", {"object": "page"}, {"object": "whatsapp_business_account", "entry": 3},
     {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",
      "value": {"metadata": {"phone_number_id": PHONE_NUMBER_ID}, "messages": [{"id": 1}]}}]}]}],
)  # fmt: skip
def test_odd_payloads_give_no_messages(body):
    assert inbound_messages(body, PHONE_NUMBER_ID) == []


# --- signature and ids ------------------------------------------------------------------


def test_signature_is_an_hmac_of_the_raw_body():
    body = b'{"object": "whatsapp_business_account"}'
    assert signature_is_valid(body, sign(body), "test-app-secret")
    assert not signature_is_valid(body + b" ", sign(body), "test-app-secret")
    assert not signature_is_valid(body, sign(body, "other"), "test-app-secret")
    assert not signature_is_valid(body, sign(body).removeprefix("sha256="), "test-app-secret")
    assert not signature_is_valid(body, None, "test-app-secret")
    assert not signature_is_valid(body, "sha256=é", "test-app-secret")
    assert not signature_is_valid(body, sign(body, ""), "")


def test_sender_id_is_stable_keyed_and_holds_no_phone_number():
    first = sender_id_for(USER, b"key-1")
    assert first == sender_id_for(USER, b"key-1")
    assert first != sender_id_for(USER, b"key-2")
    assert first != sender_id_for("31612345679", b"key-1")
    assert first.startswith("wa-") and USER not in first and len(first) == 35


# --- buttons ----------------------------------------------------------------------------


def test_up_to_three_short_buttons_become_reply_buttons():
    result = button_messages("Wat wilt u doen?", buttons("Cursus", "Geld", "Hulp"))
    [message] = result.messages
    assert result.form == "buttons"
    assert message["interactive"]["type"] == "button"
    assert message["interactive"]["body"]["text"] == "Wat wilt u doen?"
    replies = [b["reply"] for b in message["interactive"]["action"]["buttons"]]
    assert [r["title"] for r in replies] == ["Cursus", "Geld", "Hulp"]
    assert [r["id"] for r in replies] == [c.payload for c in result.choices]


def test_a_title_over_20_characters_gives_a_list():
    result = button_messages("Kies", buttons("Wie betaalt mijn cursus?", "Hulp"))
    [message] = result.messages
    assert result.form == "list"
    assert message["interactive"]["type"] == "list"
    action = message["interactive"]["action"]
    assert action["button"] == LIST_BUTTON_LABEL and len(LIST_BUTTON_LABEL) <= 20
    rows = action["sections"][0]["rows"]
    assert [r["title"] for r in rows] == ["Wie betaalt mijn cursus?", "Hulp"]


def test_four_to_ten_buttons_give_a_list_with_descriptions():
    options = buttons(*[f"Keuze {n}" for n in range(10)])
    options[0]["description"] = "d" * 72
    result = button_messages("Kies", options)
    rows = result.messages[0]["interactive"]["action"]["sections"][0]["rows"]
    assert result.form == "list" and len(rows) == 10
    assert rows[0]["description"] == "d" * 72 and "description" not in rows[1]


@pytest.mark.parametrize(
    "options",
    [
        buttons("x" * 25, "Hulp"),  # title too long for a list row
        buttons(*[f"Keuze {n}" for n in range(11)]),  # more than 10 rows
        [{"title": "Ja", "payload": "/ja"}, {"title": "Ja graag", "payload": "/ja"}],  # same id
        [{"title": "Ja", "payload": "/ja", "description": "d" * 73}],
        [{"title": "Een", "payload": "/" + "x" * 300}],  # id too long
    ],
)
def test_what_fits_no_interactive_message_becomes_a_numbered_list(options):
    result = button_messages("Wat wilt u?", options)
    assert result.form == "numbered"
    [message] = result.messages
    body = message["text"]["body"]
    assert body.startswith("Wat wilt u?\n\n1. ")
    assert body.endswith(how_to_choose(len(options)))
    assert result.choices == [Choice(o["title"], o["payload"]) for o in options]


def test_how_to_choose_in_plain_dutch():
    assert how_to_choose(1) == "Typ 1."
    assert how_to_choose(2) == "Typ 1 of 2."
    assert how_to_choose(3) == "Typ 1, 2 of 3."
    assert how_to_choose(12) == "Typ een nummer van 1 tot en met 12."


def test_a_long_text_with_buttons_keeps_the_last_part_as_the_body():
    paragraphs = [f"Alinea {n}. " + "woord " * 60 for n in range(8)]
    text = "\n\n".join(p.strip() for p in paragraphs) + "\n\nWilt u meer zien?"
    result = button_messages(text, buttons("Ja", "Nee"))
    *texts, interactive = result.messages
    body = interactive["interactive"]["body"]["text"]
    assert len(body) <= BODY_LIMIT and body.endswith("Wilt u meer zien?")
    assert all(m["type"] == "text" and len(m["text"]["body"]) <= TEXT_LIMIT for m in texts)
    sent = "\n\n".join([*(m["text"]["body"] for m in texts), body])
    assert sent.split() == text.split()  # nothing lost, nothing doubled


def test_buttons_without_text_get_a_short_body():
    result = button_messages(None, buttons("Ja", "Nee"))
    assert result.messages[0]["interactive"]["body"]["text"]


# --- splitting --------------------------------------------------------------------------


def test_split_prefers_paragraphs_then_sentences():
    text = ("Zin een. " * 30).strip() + "\n\n" + ("Zin twee. " * 30).strip()
    pieces = split_text(text, limit=300)
    assert pieces[0] == ("Zin een. " * 30).strip()
    assert all(len(p) <= 300 for p in pieces)
    assert " ".join(pieces).split() == text.split()


def test_split_cuts_a_text_without_spaces_hard():
    pieces = split_text("x" * 9000)
    assert [len(p) for p in pieces] == [4096, 4096, 808]


def test_split_at_a_sentence_keeps_the_full_stop():
    pieces = split_text("Eerste zin hier. Tweede zin daar.", limit=20)
    assert pieces == ["Eerste zin hier.", "Tweede zin daar."]


def test_split_for_body_keeps_short_texts_whole():
    assert split_for_body("Kort.") == ([], "Kort.")


# --- typed numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("1", 0), (" 2 ", 1), ("3.", 2), ("2)", 1), ("02", 1), ("4", None), ("0", None),
     ("twee", None), ("2 graag", None), ("", None)],
)  # fmt: skip
def test_a_typed_number_picks_a_choice(typed, expected):
    choices = [Choice("Een", "/een"), Choice("Twee", "/twee"), Choice("Drie", "/drie")]
    chosen = choice_for_number(typed, choices)
    assert chosen == (None if expected is None else choices[expected])
