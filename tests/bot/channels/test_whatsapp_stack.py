"""WhatsApp end to end: the real stack (bot.launcher.Stack) with the channel pointed at a fake
Graph API. A signed webhook for "Ik zoek een computercursus in Breda" must come back as
WhatsApp messages with the catalog's courses, and no phone number may reach Rasa's store.

Started like tests/support/stack.py: free ports, its own var/ directory, the trained model.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid

import pytest
import requests

from bot.launcher import Stack
from bot.settings import settings
from tests.bot.channels.conftest import (
    USER,
    VERIFY_TOKEN,
    payload,
    point_whatsapp_at,
    sign,
)
from tests.bot.channels.fake_graph import FakeGraphApi
from tests.support.stack import stack_environment
from tools.training import ensure_model

pytestmark = pytest.mark.stack
NOT_NEEDED = ("web", "budget")  # a course search uses the catalog, the actions and Rasa


@pytest.fixture(scope="module")
def fake_graph_api():
    with FakeGraphApi() as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(tmp_path_factory, fake_graph_api):
    var_dir = tmp_path_factory.mktemp("var")
    with pytest.MonkeyPatch.context() as env:
        stack_environment(env, var_dir)
        point_whatsapp_at(env, fake_graph_api.base_url)
        settings.cache_clear()
        config = settings()
        with Stack(config, ensure_model(), log_dir=var_dir / "log") as running:
            running.processes = [p for p in running.processes if p.name not in NOT_NEEDED]
            running.start(report=lambda line: None)
            yield running
    settings.cache_clear()


def post_signed(stack: Stack, data: dict) -> requests.Response:
    body = json.dumps(data).encode()
    return requests.post(
        f"{stack.config.rasa_url}/webhooks/whatsapp/webhook",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)},
        timeout=10,
    )


def say(stack: Stack, text: str) -> requests.Response:
    data = payload("text", id=f"wamid.e2e{uuid.uuid4().hex}", text=text, timestamp=time.time())
    return post_signed(stack, data)


def stored_events(stack: Stack) -> list[tuple[str, str]]:
    with sqlite3.connect(stack.config.tracker_db) as db:
        return db.execute("SELECT sender_id, data FROM events").fetchall()


def user_texts(stack: Stack) -> list[str]:
    events = [json.loads(data) for _, data in stored_events(stack)]
    return [e.get("text") for e in events if e.get("event") == "user"]


def test_a_course_search_over_whatsapp(stack, fake_graph_api):
    webhook = f"{stack.config.rasa_url}/webhooks/whatsapp/webhook"
    challenge = requests.get(
        webhook,
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"},
        timeout=10,
    )
    assert (challenge.status_code, challenge.text) == (200, "42")
    assert requests.post(webhook, data=b"{}", timeout=10).status_code == 401

    catalog = requests.get(
        f"{stack.config.catalog_url}/courses",
        # The assistant's own search: the subject and the word the person used for it.
        params={"topic": "digital", "q": "computercursus", "municipality": "Breda", "pageSize": 10},
        timeout=5,
    ).json()
    expected = [c["name"][0]["value"] for c in catalog["items"]][:3]
    assert expected, "the example catalog has computer courses near Breda"

    assert say(stack, "Ik zoek een computercursus in Breda").status_code == 200

    def all_courses_and_a_final_choice(delivered) -> bool:
        text = "\n".join(r.text for r in delivered)
        return all(name in text for name in expected) and "Meer resultaten" in text

    delivered = fake_graph_api.wait_for(all_courses_and_a_final_choice, timeout=60)
    assert {r.body["to"] for r in delivered} == {USER}
    assert {r.headers["Authorization"] for r in delivered} == {"Bearer e2e-access-token"}
    kinds = {r.body["type"] for r in delivered}
    assert "interactive" in kinds
    choices = delivered[-1].body["interactive"]
    assert choices["type"] == "list"
    first_row = choices["action"]["sections"][0]["rows"][0]

    # Typing "1" chooses the first row of the last list, as if it had been tapped.
    assert say(stack, "1").status_code == 200
    deadline = time.monotonic() + 60
    while first_row["id"] not in user_texts(stack) and time.monotonic() < deadline:
        time.sleep(0.5)  # the tracker is saved when the turn is over
    assert first_row["id"] in user_texts(stack)

    # The tracker store and Rasa's log hold a hashed sender id, never the phone number.
    rows = stored_events(stack)
    senders = {sender for sender, _ in rows}
    assert senders and all(s.startswith("wa-") for s in senders)
    assert USER not in json.dumps(rows)
    rasa_log = (stack.log_dir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    assert USER not in rasa_log
