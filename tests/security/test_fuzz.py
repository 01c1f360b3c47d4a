"""Fuzz: generated messages through the REST channel of the running stack.

Random unicode, control characters, huge strings, JSON-looking text and typed payloads
(`/intent{"entity": ...}`, valid and broken) from many senders, a few at a time. Every
message must get a 200 with at least one answer, and every process must still be up.
Over-long and rate-limited messages are answered by the guard; that counts as an answer.
Generated sender ids, too: a valid one (bot/channels/sender.py) gets an answer, any other
(missing, empty, too long, unsafe characters, not a string) a 400 with the error for
developers, and never reaches Rasa.

Generated with Hypothesis, derandomized (the same messages on every run), no shrinking
(a failure names the message). FUZZ_MESSAGES sets how many, FUZZ_WORKERS how many at a time.

How many: Rasa spends about 0.1 CPU seconds on a message (NLU, policies, tracker store),
on one core, so 5,000 messages take 8 to 10 minutes even on an idle machine. `make test`
therefore sends 1,000 (about 2 minutes); `make fuzz` sends 5,000.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rasa.shared.utils.io import read_yaml_file

from bot.channels.rest import SENDER_ERROR
from bot.channels.sender import SENDER_ID, valid_sender_id
from bot.launcher import healthy
from bot.settings import PROJECT_ROOT
from tests.support.stack import process

pytestmark = pytest.mark.stack
FUZZ_MESSAGES = int(os.environ.get("FUZZ_MESSAGES", "1000"))
WORKERS = int(os.environ.get("FUZZ_WORKERS", "4"))
BATCH = 25
SENDERS = 400
DOMAIN = read_yaml_file(str(PROJECT_ROOT / "domain" / "core.yml"))
INTENTS = [i if isinstance(i, str) else next(iter(i)) for i in DOMAIN["intents"]]
ENTITIES = list(DOMAIN["entities"]) + list(DOMAIN["slots"])
WORDS = ["hallo", "cursus", "Breda", "Roosendaal", "taal", "budget", "ja", "nee", "bel mij",
         "ik wil een mens spreken", "wis mijn gegevens", "0612345678", "111222333", "STAP",
         "computer", "67", "-5", "?", "stop", "help", "wat zei u", "English please"]  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)
control = st.text(
    st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Co"]), min_size=1, max_size=30
)
any_unicode = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=120)
payload = st.builds(
    lambda intent, entities: f"/{intent}{json.dumps(entities) if entities else ''}",
    st.sampled_from(INTENTS) | st.text(max_size=12),
    st.dictionaries(st.sampled_from(ENTITIES) | st.text(max_size=8), json_values, max_size=4),
)
broken_payload = st.builds(
    lambda intent, rest: f"/{intent}{rest}",
    st.sampled_from(INTENTS),
    st.sampled_from(["{", '{"', '{"age": ', "}", '{"age": "1"', "[]", '{"a":1}{"b":2}', "/"])
    | any_unicode,
)
huge = st.builds(
    lambda chunk, size: (chunk or "x") * (size // max(1, len(chunk or "x")) + 1),
    st.text(max_size=5),
    st.sampled_from([1999, 2000, 2001, 5000, 100_000]),
)
words = st.lists(st.sampled_from(WORDS) | any_unicode, min_size=1, max_size=6).map(" ".join)
messages = st.one_of(
    any_unicode, control, payload, broken_payload, huge, words,
    json_values.map(json.dumps),
)  # fmt: skip
batches = st.lists(messages, min_size=BATCH, max_size=BATCH, unique=True)
NO_SENDER = object()  # a body without "sender"
SENDER_MESSAGES = max(BATCH, FUZZ_MESSAGES // 10)
senders = st.one_of(
    st.from_regex(SENDER_ID, fullmatch=True),
    st.text(max_size=200),
    any_unicode,
    control,
    huge,
    st.recursive(  # null, booleans, numbers, lists, objects (no NaN or infinity: not JSON)
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
        max_leaves=4,
    ),
    st.sampled_from([NO_SENDER, "", "../x", "a b", "<script>", "x" * 129, "=1+1", "..", "é"]),
)
sender_batches = st.lists(
    st.tuples(senders, st.sampled_from(WORDS)), min_size=BATCH, max_size=BATCH
)


def batched(messages: int) -> settings:
    """Hypothesis, run once per batch of BATCH messages: generated in a fixed order, no
    shrinking or example database (a stack run is no place for either)."""
    return settings(
        max_examples=max(1, messages // BATCH),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc (0 where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_generated_messages_always_get_an_answer(stack):
    rasa = process(stack, "rasa").popen.pid
    rasa_cpu = cpu_seconds(rasa)
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    session = requests.Session()
    sent, guard_answers, started = [0], [0], time.monotonic()
    refusals = ("te lang voor mij", "U stuurt veel berichten")

    def send(item: tuple[int, str]) -> None:
        number, text = item
        sender = number % SENDERS  # every sender in turn: about 12 messages each
        response = session.post(url, json={"sender": f"fuzz-{sender}", "message": text}, timeout=60)
        shown = text if len(text) <= 3000 else text[:3000] + "..."
        assert response.status_code == 200, (response.status_code, f"sender {sender}", shown)
        answers = response.json()
        assert isinstance(answers, list) and answers, f"no answer to {shown!r} (sender {sender})"
        assert all(a.get("text") or a.get("buttons") or a.get("custom") for a in answers)
        if any(r in (answers[0].get("text") or "") for r in refusals):
            guard_answers[0] += 1

    @batched(FUZZ_MESSAGES)
    @given(batches)
    def run(batch: list[str]) -> None:
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(send, enumerate(batch, start=sent[0])))
        sent[0] += len(batch)

    run()
    elapsed = time.monotonic() - started
    for child in stack.processes:
        assert child.popen.poll() is None, f"{child.name} stopped"
        assert healthy(child.health_url), f"{child.name} is not healthy"
    print(
        f"\nfuzz: {sent[0]} messages in {elapsed:.0f} s ({sent[0] / elapsed:.1f}/s), "
        f"{guard_answers[0]} answered by the guard, Rasa used "
        f"{cpu_seconds(rasa) - rasa_cpu:.0f} CPU seconds"
    )
    assert sent[0] >= FUZZ_MESSAGES
    assert guard_answers[0] < sent[0] / 2, "most messages must reach Rasa"


def test_generated_sender_ids_get_an_answer_or_a_clear_refusal(stack):
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    session = requests.Session()
    answered: list[object] = []  # list.append is atomic across the pool's threads
    refused: list[object] = []

    def send(item: tuple[object, str]) -> None:
        sender, text = item
        body: dict = {"message": text}
        if sender is not NO_SENDER:
            body["sender"] = sender
        response = session.post(url, json=body, timeout=60)
        shown = repr(sender)[:200]
        if sender is not NO_SENDER and valid_sender_id(sender):
            assert response.status_code == 200, (response.status_code, shown)
            answers = response.json()
            assert answers and all(a.get("recipient_id") == sender for a in answers), shown
            answered.append(sender)
        else:
            assert response.status_code == 400, (response.status_code, shown)
            assert response.json() == {"error": SENDER_ERROR}, shown
            refused.append(sender)

    @batched(SENDER_MESSAGES)
    @given(sender_batches)
    def run(batch: list[tuple[object, str]]) -> None:
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(send, batch))

    run()
    for child in stack.processes:
        assert child.popen.poll() is None, f"{child.name} stopped"
    print(f"\nsender fuzz: {len(answered)} answered, {len(refused)} refused with 400")
    assert answered and refused, "both kinds of sender id were sent"
