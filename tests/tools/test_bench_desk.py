"""`make bench-desk` (tools/bench_desk.py), small: a real desk process, its checks and figures."""

from __future__ import annotations

from tools.bench_desk import (
    RELAY_PATH,
    ROWS,
    TOKEN,
    TRANSCRIPT,
    Conversation,
    Load,
    RelayCall,
    Sent,
    report,
    run_store,
    verify,
)


def test_a_small_desk_load_passes_every_check_and_fills_in_the_figures():
    run = run_store("sqlite", advisors=3, waiting=12, messages=2, time_limit=45)

    assert run.problems == []
    figures = run.figures
    assert figures["conversations"] == 12
    assert figures["advisor_messages"] == figures["citizen_messages"] == 24
    assert figures["server_errors"] == 0
    assert figures["requests"] > 12 * 6
    assert 0 < figures["total_seconds"] < 45
    assert figures["take_conflicts"] >= 0
    for name in ("sign_in", "join", "queue_list", "take", "advisor_message", "citizen_message",
                 "queue_wait"):  # fmt: skip
        pair = figures[name]
        assert pair["p50"] is not None and 0 <= pair["p50"] <= pair["p95"], name
    assert figures["peak_rss_bytes"] >= figures["rss_after_sign_in_bytes"] > 10 * 1024 * 1024

    section = report([run], "python -m tools.bench_desk", 3, 12, 2)
    assert section.startswith("<!-- desk-bench -->") and section.endswith("<!-- /desk-bench -->")
    assert section.count("\n| ") == len(ROWS) + 2  # the header, one row per figure, the checks
    assert "| Checks | passed |" in section


def test_the_checks_catch_a_message_relayed_twice_and_a_citizen_message_lost():
    load = Load("http://127.0.0.1:1", [("adviseur01", "taalhuis")], 1, 2, 0.0)
    load.joins_done = True
    conversation = Conversation("bench-1", "taalhuis", 0.0, handover=7, taken_by=["adviseur01"],
                                handed_back=True, finished=True)  # fmt: skip
    conversation.sequence = [("advisor", "a1"), ("citizen", "c1"), ("advisor", "a2"),
                             ("citizen", "c2")]  # fmt: skip
    load.conversations["bench-1"] = conversation
    load.sent = [Sent(7, 11, "a1", 0.0), Sent(7, 13, "a2", 0.0)]

    def relayed(at: float, kind: str, message_id: int | None = None) -> RelayCall:
        body = {"conversation": "bench-1", "kind": kind, "message_id": message_id}
        return RelayCall(at, RELAY_PATH, f"Bearer {TOKEN}", body)

    calls = [relayed(1, "joined"), relayed(2, "message", 11), relayed(3, "message", 13),
             relayed(4, "message", 11), relayed(5, "handed_back")]  # fmt: skip
    stored = [*TRANSCRIPT, ("advisor", "a1"), ("citizen", "c1"), ("advisor", "a2")]
    transcript = {"handover": {"status": "handed_back"},
                  "messages": [{"from": who, "text": text} for who, text in stored]}  # fmt: skip

    problems = verify(load, calls, {"transcripts": {7: transcript}})

    assert any(p.startswith("message ids relayed more than once: 1: 11 x2") for p in problems)
    assert any(p.startswith("relayed otherwise than sent") for p in problems)
    assert any(p.startswith("transcripts otherwise than sent") for p in problems)
    assert len(problems) == 3, problems

    in_order = [c for c in calls if c.at != 4]
    transcript["messages"].append({"from": "citizen", "text": "c2"})
    assert verify(load, in_order, {"transcripts": {7: transcript}}) == []
