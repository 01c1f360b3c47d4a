"""Sending through the Graph API: request format, retries with backoff, giving up cleanly."""

from __future__ import annotations

import asyncio
import logging
import socket

from bot.channels.whatsapp_graph import GraphClient
from tests.bot.channels.conftest import ACCESS_TOKEN, PHONE_NUMBER_ID, USER, graph_client

TEXT = {"type": "text", "text": {"preview_url": False, "body": "Geheime tekst 123"}}


def test_a_message_is_posted_with_the_token_to_the_phone_number(fake_graph):
    assert asyncio.run(graph_client(fake_graph).send(USER, TEXT))
    [request] = fake_graph.requests
    assert request.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": USER,
        **TEXT,
    }


class Pauses(list):
    """An injected sleep: records each pause instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_429_then_200_is_retried_after_a_pause(fake_graph, caplog):
    pauses = Pauses()
    fake_graph.answer_next(429, 503)
    client = graph_client(fake_graph, sleep=pauses, backoff_seconds=0.5, max_attempts=4)
    with caplog.at_level(logging.DEBUG):
        assert asyncio.run(client.send(USER, TEXT))
    assert [r.status for r in fake_graph.requests] == [429, 503, 200]
    assert len({r.body["text"]["body"] for r in fake_graph.requests}) == 1
    assert len(pauses) == 2
    assert 0.5 <= pauses[0] <= 0.625 and 1.0 <= pauses[1] <= 1.25  # exponential, with jitter
    assert "HTTP 429, Graph error 130429; try 2 of 4 in" in caplog.text
    assert "HTTP 503, Graph error 2; try 3 of 4 in" in caplog.text
    assert USER not in caplog.text and "Geheime tekst" not in caplog.text


def test_the_pause_between_tries_is_capped(fake_graph):
    pauses = Pauses()
    fake_graph.answer_next(500, 502, 504)
    client = graph_client(fake_graph, sleep=pauses, backoff_seconds=4.0, max_attempts=4)
    assert asyncio.run(client.send(USER, TEXT))
    assert len(fake_graph.requests) == 4
    assert 4.0 <= pauses[0] <= 5.0
    assert all(8.0 <= pause <= 10.0 for pause in pauses[1:]), pauses  # 8 s, plus jitter


def test_500_every_time_gives_up_after_the_last_try(fake_graph, caplog):
    fake_graph.answer_next(*[500] * 10)
    with caplog.at_level(logging.WARNING):
        assert asyncio.run(graph_client(fake_graph, max_attempts=3).send(USER, TEXT)) is False
    assert [r.status for r in fake_graph.requests] == [500, 500, 500]
    assert "gave up after 3 tries" in caplog.text


def test_a_refusal_is_not_retried_and_logs_only_the_error_code(fake_graph, caplog):
    fake_graph.answer_next(400)
    with caplog.at_level(logging.DEBUG):
        assert asyncio.run(graph_client(fake_graph).send(USER, TEXT)) is False
    assert len(fake_graph.requests) == 1
    assert "131047" in caplog.text
    assert "Re-engagement" not in caplog.text  # Graph's message text is not logged
    assert USER not in caplog.text and "Geheime tekst" not in caplog.text


def test_an_unauthorised_token_is_not_retried(fake_graph, caplog):
    fake_graph.answer_next(401, 401)
    with caplog.at_level(logging.WARNING):
        assert asyncio.run(graph_client(fake_graph).send(USER, TEXT)) is False
    assert len(fake_graph.requests) == 1
    assert "refused: HTTP 401, Graph error 190" in caplog.text


def test_a_refused_connection_is_retried_then_given_up(caplog):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    pauses = Pauses()
    client = GraphClient(
        f"http://127.0.0.1:{port}/v21.0", PHONE_NUMBER_ID, ACCESS_TOKEN, sleep=pauses
    )
    with caplog.at_level(logging.WARNING):
        assert asyncio.run(client.send(USER, TEXT)) is False
    assert len(pauses) == 3  # the default: 4 tries
    assert "connection failed; try 4 of 4" in caplog.text
    assert "gave up after 4 tries: connection failed" in caplog.text
    assert USER not in caplog.text and "Geheime tekst" not in caplog.text


def test_a_slow_answer_times_out_and_is_not_sent_twice(fake_graph, caplog):
    fake_graph.delay = 0.5
    client = graph_client(fake_graph, timeout=(1.0, 0.1))
    with caplog.at_level(logging.WARNING):
        assert asyncio.run(client.send(USER, TEXT)) is False
    assert "no answer in time; not retried" in caplog.text
    fake_graph.wait_for(lambda delivered: len(delivered) == 1, timeout=5)
    assert len(fake_graph.requests) == 1


def test_sending_does_not_block_the_event_loop(fake_graph):
    fake_graph.delay = 0.3

    async def main() -> int:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        await graph_client(fake_graph).send(USER, TEXT)
        ticker.cancel()
        return ticks

    assert asyncio.run(main()) >= 10
