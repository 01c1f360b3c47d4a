"""Live hand-over over WhatsApp, end to end: the real stack (Rasa, action server, catalog,
desk) with the WhatsApp channel pointed at a fake Graph API, and an advisor who signs in to
the desk over HTTP.

A citizen asks for a person; the assistant offers a live chat with the desk's queue; the
citizen says yes and joins the queue (the Rasa conversation pauses); the advisor takes the
conversation and answers, marked as a person; while the advisor has it, the assistant stays
silent and the citizen's messages reach the advisor; the advisor hands back, and the assistant
answers again. The Chromium test of the same flow in the widget is
tests/browser/test_desk_handover.py.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from bot.launcher import Stack
from bot.settings import settings
from services.desk.accounts import hash_password
from services.desk.store import Desk, DeskStore
from tests.bot.channels.conftest import USER, payload, point_whatsapp_at
from tests.bot.channels.conftest import sign as sign_body
from tests.bot.channels.fake_graph import FakeGraphApi
from tests.support.stack import stack_environment
from tools.training import ensure_model

pytestmark = pytest.mark.stack
NOT_NEEDED = ("web", "budget")
PASSWORD = "een lang wachtwoord voor anna"  # noqa: S105 - a test value
DESK = Desk("taalhuis", "Taalhuis Breda", "076 111 1111", "ma-zo 00:00-24:00", ("*",), 5)


@pytest.fixture(scope="module")
def fake_graph_api():
    with FakeGraphApi() as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(tmp_path_factory, fake_graph_api):
    var_dir = tmp_path_factory.mktemp("var")
    store = DeskStore(f"sqlite:///{var_dir / 'desk.db'}")
    store.save_desk(DESK)
    store.add_user("anna", "Anna", "advisor", hash_password(PASSWORD), [DESK.id])
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


class Advisor:
    """An advisor's browser, as far as the desk's API goes."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.get(f"{base}/desk/login", timeout=10)
        answer = self.post("/desk/api/login", {"username": "anna", "password": PASSWORD})
        assert answer.status_code == 200, answer.text

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        token = self.http.cookies.get("desk_csrf", path="/desk") or ""
        return self.http.post(f"{self.base}{path}", json=body, timeout=10,
                              headers={"X-CSRF-Token": token})  # fmt: skip

    def queue(self) -> list[dict]:
        return self.http.get(f"{self.base}/desk/api/handovers", timeout=10).json()["handovers"]

    def messages(self, handover: int) -> list[dict]:
        answer = self.http.get(f"{self.base}/desk/api/handovers/{handover}", timeout=10)
        return answer.json()["messages"]


def say(stack: Stack, text: str) -> None:
    data = payload("text", id=f"wamid.e2e{uuid.uuid4().hex}", text=text, timestamp=time.time())
    body = json.dumps(data).encode()
    answer = requests.post(
        f"{stack.config.rasa_url}/webhooks/whatsapp/webhook",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign_body(body)},
        timeout=10,
    )
    assert answer.status_code == 200


def wait_for_text(fake, seen: int, fragment: str, timeout: float = 30.0) -> list:
    """What the fake Graph API got since message `seen`, once it holds `fragment`."""
    return fake.wait_for(lambda d: fragment in "\n".join(r.text for r in d[seen:]), timeout=timeout)


def wait_until(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_a_whatsapp_conversation_is_handed_to_a_person_and_back(stack, fake_graph_api):
    desk = f"http://127.0.0.1:{stack.config.desk_port}"
    advisor = Advisor(desk)  # signed in: the desk is staffed

    def new_texts(before: int) -> str:
        return "\n".join(r.text for r in fake_graph_api.delivered[before:])

    seen = len(fake_graph_api.delivered)
    say(stack, "Ik wil graag met een mens praten")
    wait_for_text(fake_graph_api, seen, "chatten met een medewerker van Taalhuis Breda", 60)
    offer = new_texts(seen)
    assert "nummer 1 in de wachtrij" in offer

    seen = len(fake_graph_api.delivered)
    say(stack, "ja")
    wait_for_text(fake_graph_api, seen, "wachtrij van Taalhuis Breda", 30)
    [handover] = wait_until(advisor.queue)
    assert handover["status"] == "waiting" and handover["channel"] == "whatsapp"
    transcript = [m["text"] for m in advisor.messages(handover["id"])]
    assert "Ik wil graag met een mens praten" in transcript

    # While waiting, the citizen hears the place in the queue; the advisor gets the message.
    seen = len(fake_graph_api.delivered)
    say(stack, "Ik wacht wel even")
    wait_for_text(fake_graph_api, seen, "nog in de wachtrij", 30)

    seen = len(fake_graph_api.delivered)
    assert advisor.post(f"/desk/api/handovers/{handover['id']}/take").status_code == 200
    wait_for_text(fake_graph_api, seen, "Anna van Taalhuis Breda praat nu met u", 30)

    seen = len(fake_graph_api.delivered)
    sent = advisor.post(f"/desk/api/handovers/{handover['id']}/messages",
                        {"text": "Goedemiddag, ik help u met een taalcursus."})  # fmt: skip
    assert sent.status_code == 201 and sent.json()["delivered"] is True
    delivered = wait_for_text(fake_graph_api, seen, "ik help u met een taalcursus", 30)
    message = delivered[-1]
    assert message.body["to"] == USER
    assert message.text.startswith("*Anna, medewerker Taalhuis Breda*")

    # The advisor has the conversation: the assistant says nothing, the advisor reads it.
    seen = len(fake_graph_api.delivered)
    say(stack, "Ik zoek een computercursus in Breda")
    wait_until(lambda: any(m["text"] == "Ik zoek een computercursus in Breda"
                           for m in advisor.messages(handover["id"])))  # fmt: skip
    time.sleep(2)
    assert fake_graph_api.delivered[seen:] == [], "the assistant stayed silent"

    assert advisor.post(f"/desk/api/handovers/{handover['id']}/hand-back").status_code == 200
    wait_for_text(fake_graph_api, seen, "weer met Leerwijzer", 30)

    seen = len(fake_graph_api.delivered)
    say(stack, "Ik zoek een computercursus in Breda")
    fake_graph_api.wait_for(lambda d: len(d) > seen + 1, timeout=60)
    answer = new_texts(seen)
    assert "Breda" in answer and "wachtrij" not in answer
    assert advisor.queue() == []


def test_a_citizen_who_stops_waiting_leaves_the_queue_and_the_assistant_answers(
    stack, fake_graph_api
):
    desk = f"http://127.0.0.1:{stack.config.desk_port}"
    advisor = Advisor(desk)
    seen = len(fake_graph_api.delivered)
    say(stack, "Ik wil een mens spreken")
    wait_for_text(fake_graph_api, seen, "chatten met een medewerker", 60)
    seen = len(fake_graph_api.delivered)
    say(stack, "ja")
    wait_for_text(fake_graph_api, seen, "wachtrij van Taalhuis Breda")
    [waiting] = wait_until(advisor.queue)

    seen = len(fake_graph_api.delivered)
    say(stack, "stop")
    fake_graph_api.wait_for(lambda d: len(d) > seen, timeout=30)
    assert "wachtrij" not in "\n".join(r.text for r in fake_graph_api.delivered[seen:])
    wait_until(lambda: advisor.queue() == [])
    messages = advisor.messages(waiting["id"])
    assert messages[-1]["text"] == "De inwoner heeft het gesprek verlaten."
