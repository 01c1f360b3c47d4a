"""bot/rasa_speedups.py: the fixes change what Rasa costs, not what it does."""

from __future__ import annotations

import asyncio

import pytest
import rasa.shared.utils.common
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.features import Features
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_speedups
from bot.rasa_cli import DOMAIN_PATH
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(DOMAIN_PATH)


@pytest.fixture
def installed(monkeypatch):
    for cls, name in ((RemoteAction, "_action_call_format"),):
        monkeypatch.setattr(cls, name, getattr(cls, name))
    monkeypatch.setattr(Event, "resolve_by_type", Event.__dict__["resolve_by_type"])
    monkeypatch.setattr(SpacyNLP, "load_model", SpacyNLP.__dict__["load_model"])
    monkeypatch.setattr(Domain, "is_empty", Domain.is_empty)
    monkeypatch.setattr(Features, "_combine_sparse_features", Features._combine_sparse_features)
    rasa_speedups.install()


def call_body(action_name: str, domain: Domain) -> dict:
    tracker = DialogueStateTracker.from_events("someone", [UserUttered("hallo")])
    endpoint = EndpointConfig("http://127.0.0.1:5055/webhook")
    return RemoteAction(action_name, endpoint)._action_call_format(tracker, domain)


def test_actions_get_the_domain_without_responses_unless_they_ask(installed, domain):
    rasa_body = {"domain": domain.as_dict()}
    slim = call_body("validate_course_form", domain)
    assert "responses" not in slim["domain"]
    # Everything else an action (and rasa_sdk's form validation) reads is there, unchanged.
    assert slim["domain"] == {k: v for k, v in rasa_body["domain"].items() if k != "responses"}
    assert slim["domain"]["forms"]["course_form"]["required_slots"] == ["topic", "municipality"]
    assert slim["tracker"]["sender_id"] == "someone"
    assert slim["next_action"] == "validate_course_form"
    # action_simplify says it reads responses (send_domain: true in domain/core.yml).
    assert call_body("action_simplify", domain)["domain"] == rasa_body["domain"]


def test_the_domain_dictionaries_are_made_once(installed, domain, monkeypatch):
    call_body("action_route", domain)

    def no_rebuild():
        raise AssertionError("the domain's dictionaries are made once per domain")

    monkeypatch.setattr(domain, "as_dict", no_rebuild)
    assert "slots" in call_body("action_route", domain)["domain"]


def test_action_calls_reuse_one_connection(installed):
    peers: list[tuple] = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        assert request.headers["X-Test"] == "yes"
        return web.json_response({"events": [], "responses": [], "body": await request.json()})

    async def scenario() -> list[dict]:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Test": "yes"})
        try:
            return [await endpoint.request(json={"n": n}, method="post") for n in range(3)]
        finally:
            await runner.cleanup()

    answers = asyncio.run(scenario())
    assert [a["body"]["n"] for a in answers] == [0, 1, 2]
    assert len(peers) == 3 and len(set(peers)) == 1, "one kept-alive connection for all three"


def test_a_new_event_loop_gets_its_own_session(installed):
    endpoint = EndpointConfig("http://127.0.0.1:9/")

    async def session_of_this_loop():
        async with endpoint.session() as session:
            return session

    first = asyncio.run(session_of_this_loop())
    second = asyncio.run(session_of_this_loop())
    assert first is not second


def test_event_classes_are_found_as_rasa_finds_them(installed):
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        found = Event.resolve_by_type(cls.type_name)
        assert found.type_name == cls.type_name
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("topic") is None  # Rasa's old TopicSet events
    assert Event.resolve_by_type("no such event", default=UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no such event")


def random_coo(rng, rows: int, columns: int, density: float, dtype: str):
    import scipy.sparse

    matrix = scipy.sparse.random(rows, columns, density=density, format="coo", random_state=rng)
    return matrix.astype(dtype)


@pytest.mark.parametrize("seed", range(40))
def test_joined_features_are_what_scipy_makes(seed):
    import numpy as np
    import scipy.sparse

    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 12))
    left = random_coo(rng, rows, int(rng.integers(0, 300)), 0.1, rng.choice(["float32", "int64"]))
    right = random_coo(
        rng, rows, int(rng.integers(1, 300)), 0.1, rng.choice(["float32", "float64"])
    )
    expected = scipy.sparse.hstack([left, right])
    joined = rasa_speedups.join_coo(left, right)
    assert type(joined) is type(expected)
    assert joined.shape == expected.shape and joined.dtype == expected.dtype
    for part in ("data", "row", "col"):
        assert getattr(joined, part).dtype == getattr(expected, part).dtype
        assert np.array_equal(getattr(joined, part), getattr(expected, part))


def test_features_are_joined_as_rasa_joins_them(installed):
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features

    rng = np.random.default_rng(7)
    parts = [random_coo(rng, 4, n, 0.3, "float32") for n in (5, 9)]
    features = Features(parts[0], "sequence", "text", "words")
    features.combine_with_features(Features(parts[1], "sequence", "text", "chars"))
    assert (features.features != scipy.sparse.hstack(parts)).nnz == 0
    assert features.features.shape == (4, 14)
    # Not COO (or rows that differ): Rasa's own code, with its own error.
    csr = Features(parts[0].tocsr(), "sequence", "text", "words")
    csr.combine_with_features(Features(parts[1].tocsr(), "sequence", "text", "chars"))
    assert csr.features.format == "csr"
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        features.combine_with_features(
            Features(random_coo(rng, 3, 2, 0.5, "float32"), "sequence", "text", "x")
        )


def test_the_spacy_pipeline_is_loaded_once_and_shared(installed):
    path = str(PROJECT_ROOT / "models" / "spacy-nl")
    first = SpacyNLP.load_model(path)
    assert SpacyNLP.load_model(path) is first
    assert [t.lemma_ for t in first.model("cursussen")] == ["cursus"]


def test_whether_a_domain_is_empty_is_answered_as_rasa_does_and_once(installed, domain):
    assert Domain.empty().is_empty() is True
    assert domain.is_empty() is False
    empty = Domain.empty()
    assert empty.is_empty() is True
    empty.as_dict = lambda: pytest.fail("asked again")  # type: ignore[method-assign]
    assert empty.is_empty() is True
