"""The desk's API: the queue and hand-over, call-backs, and the security rules of docs/desk.md."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from services.callbacks.store import CallbackRequest
from services.desk.app import SESSION_COOKIE
from services.desk.hours import HoursError, is_open, parse_hours
from services.desk.store import handovers, now_utc, users
from tests.desk.conftest import PASSWORD, TOKEN, csrf, socket_connect

SERVICE = {"Authorization": f"Bearer {TOKEN}"}
PUBLIC = {"/desk/health", "/desk/login", "/desk/api/login-options", "/desk/static/{name}",
          "/desk/vendor/{name}", "/desk/oidc/start", "/desk/oidc/callback"}  # fmt: skip


def routes(world) -> list[tuple[str, str]]:
    api = world.app.other_asgi_app
    return [
        (method, route.path)
        for route in api.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    ]


def concrete(path: str) -> str:
    return (
        path.replace("{handover_id}", "1")
        .replace("{reference}", "LW-AAAAAA")
        .replace("{username}", "anna")
        .replace("{name}", "admin")
    )


# -- sign-in and rights -------------------------------------------------------------------


def test_every_page_and_api_refuses_a_request_without_sign_in(world):
    anonymous = TestClient(world.app)
    checked = 0
    for method, path in routes(world):
        if path in PUBLIC or path == "/desk/api/login":
            continue
        response = anonymous.request(method, concrete(path), json={}, follow_redirects=False)
        if path.startswith("/desk/internal/"):
            assert response.status_code == 401, (method, path)
        elif path.startswith("/desk/api/"):
            assert response.status_code == 401, (method, path)
            assert "detail" in response.json()
        else:  # a page: to the sign-in page
            assert response.status_code in (303, 308), (method, path)
            if response.status_code == 303:
                assert response.headers["location"] == "/desk/login"
        checked += 1
    assert checked >= 20
    # A wrong service token is no token.
    wrong = anonymous.post("/desk/internal/forget", json={"conversation": "x"},
                           headers={"Authorization": "Bearer nope"})  # fmt: skip
    assert wrong.status_code == 401


def test_the_live_updates_refuse_a_socket_without_sign_in(world):
    # Engine.IO opens the transport; the Socket.IO connect is refused without a session.
    answer = socket_connect(TestClient(world.app))
    assert answer.startswith("44"), answer  # CONNECT_ERROR

    answer = socket_connect(world.sign_in("anna"))
    assert answer.startswith("40"), answer  # CONNECT


def test_a_request_without_the_csrf_token_is_refused(world):
    anna = world.sign_in("anna")  # signed in: the desk takes conversations
    handover = world.handover("citizen-1")
    for path, body in [
        (f"/desk/api/handovers/{handover}/take", None),
        (f"/desk/api/handovers/{handover}/messages", {"text": "Hallo"}),
        ("/desk/api/logout", None),
        ("/desk/api/logout-everywhere", None),
    ]:
        assert anna.post(path, json=body).status_code == 403, path
        assert anna.post(path, json=body, headers={"X-CSRF-Token": "other"}).status_code == 403
    assert world.store.handover(handover)["status"] == "waiting"
    # Signing in needs the token of the page too.
    browser = TestClient(world.app)
    browser.get("/desk/login")
    refused = browser.post("/desk/api/login", json={"username": "anna", "password": PASSWORD})
    assert refused.status_code == 403
    # With it, it works.
    assert anna.post(f"/desk/api/handovers/{handover}/take", headers=csrf(anna)).status_code == 200


def test_the_session_id_changes_at_sign_in(world):
    browser = TestClient(world.app)
    browser.get("/desk/login")
    planted = "planted-session-id-from-an-attacker"
    browser.cookies.set(SESSION_COOKIE, planted, path="/desk")
    response = browser.post(
        "/desk/api/login",
        json={"username": "anna", "password": PASSWORD},
        headers=csrf(browser),
    )
    assert response.status_code == 200
    issued = response.cookies.get(SESSION_COOKIE)
    assert issued and issued != planted
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    # Only the hash of the session is stored, and the planted one signs nobody in.
    assert world.store.session(planted) is None
    with world.store.engine.connect() as connection:
        keys = connection.execute(sa.text("SELECT key FROM desk_sessions")).scalars().all()
    assert issued not in keys
    # A second sign-in gives yet another session.
    again = browser.post("/desk/api/login", json={"username": "anna", "password": PASSWORD},
                         headers=csrf(browser))  # fmt: skip
    assert again.cookies.get(SESSION_COOKIE) not in (None, issued)


def test_session_cookies_are_secure_by_default():
    from bot.settings import settings

    assert settings().desk_cookie_secure is True


def test_an_account_locks_after_repeated_failures_and_an_admin_unlocks_it(world):
    browser = TestClient(world.app)
    browser.get("/desk/login")
    for _ in range(4):
        wrong = browser.post("/desk/api/login", json={"username": "anna", "password": "fout"},
                             headers=csrf(browser))  # fmt: skip
        assert wrong.status_code == 401
    fifth = browser.post("/desk/api/login", json={"username": "anna", "password": "fout"},
                         headers=csrf(browser))  # fmt: skip
    assert fifth.status_code == 423
    right = browser.post("/desk/api/login", json={"username": "anna", "password": PASSWORD},
                         headers=csrf(browser))  # fmt: skip
    assert right.status_code == 423, "locked, even with the right password"
    # An unknown name is refused the same way as a wrong password.
    unknown = browser.post("/desk/api/login", json={"username": "niemand", "password": "x"},
                           headers=csrf(browser))  # fmt: skip
    assert unknown.status_code == 401 and unknown.json() == wrong.json()

    admin = world.sign_in("beheer")
    assert admin.post("/desk/api/users/anna/unlock", headers=csrf(admin)).status_code == 200
    world.sign_in("anna")


def test_passwords_are_stored_as_argon2_hashes(world):
    with world.store.engine.connect() as connection:
        stored = connection.execute(sa.select(users.c.password_hash)).scalars().all()
    assert stored and all(h.startswith("$argon2id$") for h in stored)
    assert all(PASSWORD not in h for h in stored)


def test_sign_out_everywhere_ends_every_session_of_the_account(world):
    laptop, phone = world.sign_in("anna"), world.sign_in("anna")
    assert phone.get("/desk/api/me").status_code == 200
    assert laptop.post("/desk/api/logout-everywhere", headers=csrf(laptop)).status_code == 204
    assert phone.get("/desk/api/me").status_code == 401
    assert laptop.get("/desk/api/me").status_code == 401
    other = world.sign_in("bram")
    assert other.get("/desk/api/me").status_code == 200
    assert other.post("/desk/api/logout", headers=csrf(other)).status_code == 204
    assert other.get("/desk/api/me").status_code == 401


def test_an_advisor_cannot_open_another_desks_conversation_by_id(world):
    wim = world.sign_in("wim")  # the desk has someone signed in: it takes conversations
    theirs = world.handover("citizen-werk", desk="werkloket")
    anna = world.sign_in("anna")
    assert anna.get(f"/desk/api/handovers/{theirs}").status_code == 404
    assert anna.post(f"/desk/api/handovers/{theirs}/take", headers=csrf(anna)).status_code == 404
    assert anna.post(f"/desk/api/handovers/{theirs}/messages", json={"text": "Hoi"},
                     headers=csrf(anna)).status_code == 404  # fmt: skip
    assert anna.post(f"/desk/api/handovers/{theirs}/hand-back",
                     headers=csrf(anna)).status_code == 404  # fmt: skip
    assert all(h["id"] != theirs for h in anna.get("/desk/api/handovers").json()["handovers"])
    assert world.store.handover(theirs)["status"] == "waiting"
    assert wim.get(f"/desk/api/handovers/{theirs}").status_code == 200


def test_the_audit_log_records_each_read_and_only_admins_read_it(world):
    anna = world.sign_in("anna")
    handover = world.handover("citizen-audit")
    anna.get(f"/desk/api/handovers/{handover}")
    anna.get(f"/desk/api/handovers/{handover}")
    anna.get("/desk/api/callbacks")
    assert anna.get("/desk/api/audit").status_code == 403
    admin = world.sign_in("beheer")
    entries = admin.get("/desk/api/audit").json()["entries"]
    reads = [e for e in entries if e["action"] == "opened conversation"]
    assert [(e["username"], e["target"]) for e in reads] == [("anna", f"handover {handover}")] * 2
    assert any(e["action"] == "read call-back queue" and e["username"] == "anna" for e in entries)
    assert any(e["action"] == "signed in" for e in entries)


def test_admin_pages_and_apis_are_for_admins_only(world):
    anna = world.sign_in("anna")
    assert anna.get("/desk/admin", follow_redirects=False).status_code == 403
    assert anna.get("/desk/api/users").status_code == 403
    body = {"username": "eve", "name": "Eve", "role": "admin", "desks": [], "password": PASSWORD}
    assert anna.post("/desk/api/users", json=body, headers=csrf(anna)).status_code == 403
    admin = world.sign_in("beheer")
    assert admin.get("/desk/admin", follow_redirects=False).status_code == 200
    made = admin.post("/desk/api/users", json={**body, "role": "advisor", "desks": ["taalhuis"]},
                      headers=csrf(admin))  # fmt: skip
    assert made.status_code == 201
    short = admin.post("/desk/api/users/eve", json={"password": "kort"}, headers=csrf(admin))
    assert short.status_code == 422
    unknown_desk = admin.post("/desk/api/users/eve", json={"desks": ["nergens"]},
                              headers=csrf(admin))  # fmt: skip
    assert unknown_desk.status_code == 422


def test_pages_send_a_strict_content_security_policy(world):
    page = world.sign_in("anna").get("/desk/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["cache-control"] == "no-store"


# -- the queue and the live hand-over -------------------------------------------------------


def test_a_citizen_joins_the_queue_and_an_advisor_takes_answers_and_hands_back(world):
    # Only while someone of the desk is signed in is a live chat offered.
    offer = world.client.post("/desk/internal/availability", json={"topic": "dutch"},
                              headers=SERVICE)  # fmt: skip
    assert offer.json() == {"available": False}
    anna = world.sign_in("anna")
    offer = world.client.post("/desk/internal/availability", json={"topic": "dutch"},
                              headers=SERVICE).json()  # fmt: skip
    assert offer["available"] and offer["desk"]["id"] == "taalhuis" and offer["position"] == 1

    first = world.handover("citizen-a")
    second = world.handover("citizen-b")
    queue = anna.get("/desk/api/handovers").json()["handovers"]
    assert [(h["id"], h["position"]) for h in queue] == [(first, 1), (second, 2)]
    again = world.client.post("/desk/internal/handovers", headers=SERVICE, json={
        "conversation": "citizen-b", "channel": "socketio", "desk": "taalhuis"})  # fmt: skip
    assert again.json()["id"] == second, "asking twice does not queue twice"

    # The citizen writes while waiting: the advisor will see it; the citizen hears the place.
    waiting = world.client.post("/desk/internal/citizen-message", headers=SERVICE,
                                json={"conversation": "citizen-b", "text": "Ik wacht"})  # fmt: skip
    assert waiting.json()["status"] == "waiting" and waiting.json()["position"] == 2

    bram = world.sign_in("bram")
    assert anna.post(f"/desk/api/handovers/{first}/take", headers=csrf(anna)).status_code == 200
    assert bram.post(f"/desk/api/handovers/{first}/take", headers=csrf(bram)).status_code == 409
    assert world.assistant.calls[-1]["kind"] == "joined"
    assert world.assistant.calls[-1]["author"] == "Anna"
    assert world.assistant.calls[-1]["auth"] == f"Bearer {TOKEN}"

    not_mine = bram.post(f"/desk/api/handovers/{first}/messages", json={"text": "Hoi"},
                         headers=csrf(bram))  # fmt: skip
    assert not_mine.status_code == 409
    sent = anna.post(f"/desk/api/handovers/{first}/messages",
                     json={"text": "Goedemiddag, ik ben Anna."}, headers=csrf(anna))  # fmt: skip
    assert sent.status_code == 201 and sent.json()["delivered"] is True
    relayed = world.assistant.calls[-1]
    assert relayed["kind"] == "message" and relayed["text"] == "Goedemiddag, ik ben Anna."
    assert relayed["conversation"] == "citizen-a" and relayed["channel"] == "socketio"
    assert relayed["desk_name"] == "Taalhuis Breda"

    citizen = world.client.post("/desk/internal/citizen-message", headers=SERVICE,
                                json={"conversation": "citizen-a", "text": "Dank u"})  # fmt: skip
    assert citizen.json()["status"] == "active"
    opened = anna.get(f"/desk/api/handovers/{first}").json()
    assert [m["from"] for m in opened["messages"]] == [
        "citizen", "system", "advisor", "citizen",
    ]  # fmt: skip

    assert (
        anna.post(f"/desk/api/handovers/{first}/hand-back", headers=csrf(anna)).status_code == 200
    )
    assert world.assistant.calls[-1]["kind"] == "handed_back"
    assert world.store.handover(first)["status"] == "handed_back"
    gone = world.client.post("/desk/internal/citizen-message", headers=SERVICE,
                             json={"conversation": "citizen-a", "text": "Nog iets"})  # fmt: skip
    assert gone.status_code == 404, "handed back: the assistant answers again"
    assert [h["position"] for h in anna.get("/desk/api/handovers").json()["handovers"]] == [1]


def test_nobody_takes_it_in_time_and_the_citizen_is_offered_a_call_back(world):
    world.sign_in("anna")
    handover = world.handover("citizen-late")
    world.desks().sweep()
    assert world.store.handover(handover)["status"] == "waiting"
    with world.store.engine.begin() as connection:
        connection.execute(
            handovers.update()
            .where(handovers.c.id == handover)
            .values(created_at=now_utc() - timedelta(minutes=6))
        )
    world.desks().sweep()
    assert world.store.handover(handover)["status"] == "unanswered"
    call = world.assistant.calls[-1]
    assert call["kind"] == "unanswered" and call["desk_phone"] == "076 111 1111"
    world.desks().sweep()
    assert world.assistant.kinds().count("unanswered") == 1


def test_a_message_the_assistant_did_not_take_is_sent_again_once(world):
    anna = world.sign_in("anna")
    handover = world.handover("citizen-retry")
    anna.post(f"/desk/api/handovers/{handover}/take", headers=csrf(anna))
    world.assistant.status = 502
    sent = anna.post(f"/desk/api/handovers/{handover}/messages", json={"text": "Bent u er nog?"},
                     headers=csrf(anna))  # fmt: skip
    assert sent.json()["delivered"] is False
    world.assistant.status = 200
    world.desks().sweep()
    world.desks().sweep()
    texts = [c.get("text") for c in world.assistant.calls if c["kind"] == "message"]
    assert texts == ["Bent u er nog?", "Bent u er nog?"]  # the failed try and the one retry
    assert world.store.undelivered() == []


def test_the_advisor_sees_when_the_citizen_leaves(world):
    anna = world.sign_in("anna")
    handover = world.handover("citizen-gone")
    world.client.post("/desk/internal/presence", headers=SERVICE,
                      json={"conversation": "citizen-gone", "present": False})  # fmt: skip
    assert anna.get("/desk/api/handovers").json()["handovers"][0]["citizen_present"] is False
    world.client.post(
        "/desk/internal/leave", headers=SERVICE, json={"conversation": "citizen-gone"}
    )
    assert world.store.handover(handover)["status"] == "left"
    messages = anna.get(f"/desk/api/handovers/{handover}").json()["messages"]
    assert messages[-1]["text"] == "De inwoner heeft het gesprek verlaten."


def test_forget_me_deletes_the_hand_overs_of_the_conversation(world):
    world.sign_in("anna")
    handover = world.handover("citizen-forget")
    world.handover("citizen-stays")
    deleted = world.client.post("/desk/internal/forget", headers=SERVICE,
                                json={"conversation": "citizen-forget"})  # fmt: skip
    assert deleted.json() == {"deleted": 1}
    assert world.store.handover(handover) is None
    assert world.store.messages_of(handover) == []
    assert world.store.open_handover_of("citizen-stays") is not None


def test_a_closed_desk_takes_nobody_in_its_queue(world):
    from services.desk.store import Desk

    world.store.save_desk(Desk("dicht", "Gesloten balie", "", "", (), 5))
    world.store.add_user("dora", "Dora", "advisor", None, ["dicht"])
    refused = world.client.post("/desk/internal/handovers", headers=SERVICE, json={
        "conversation": "c", "channel": "socketio", "desk": "dicht"})  # fmt: skip
    assert refused.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"conversation": "", "channel": "socketio", "desk": "taalhuis"},
        {"conversation": "x", "channel": "rest", "desk": "taalhuis"},
        {"conversation": "x" * 200, "channel": "socketio", "desk": "taalhuis"},
        {"conversation": "x", "channel": "socketio", "desk": "taalhuis", "extra": 1},
    ],
)
def test_bad_input_gets_a_clear_error(world, body):
    response = world.client.post("/desk/internal/handovers", headers=SERVICE, json=body)
    assert response.status_code == 422 and response.json()["detail"]


# -- the call-back queue --------------------------------------------------------------------


def request(organization: str, desk: str | None = None) -> CallbackRequest:
    return CallbackRequest("Fatima", "+31612345678", "morning", organization, "dutch",
                           desk_id=desk)  # fmt: skip


def test_advisors_work_through_the_call_backs_of_their_own_desks(world):
    mine = world.callbacks.add(request("Taalhuis Breda"))
    by_id = world.callbacks.add(request("Iets anders", desk="taalhuis"))
    theirs = world.callbacks.add(request("Leerwerkloket"))
    anna, bram = world.sign_in("anna"), world.sign_in("bram")
    listed = [c["reference"] for c in anna.get("/desk/api/callbacks").json()["callbacks"]]
    assert set(listed) == {mine.reference, by_id.reference}
    assert anna.post(f"/desk/api/callbacks/{theirs.reference}/claim",
                     headers=csrf(anna)).status_code == 404  # fmt: skip

    path = f"/desk/api/callbacks/{mine.reference}"
    assert anna.post(f"{path}/claim", headers=csrf(anna)).json()["callback"]["status"] == "claimed"
    assert bram.post(f"{path}/claim", headers=csrf(bram)).status_code == 409
    noted = anna.post(f"{path}/note", json={"note": "Voicemail ingesproken"}, headers=csrf(anna))
    assert noted.json()["callback"]["note"] == "Voicemail ingesproken"
    tried = anna.post(f"{path}/status", json={"status": "unreachable"}, headers=csrf(anna))
    assert tried.json()["callback"]["attempts"] == 1
    assert tried.json()["callback"]["finished_at"] is None
    done = anna.post(f"{path}/status", json={"status": "called"}, headers=csrf(anna))
    assert done.json()["callback"]["status"] == "called"
    assert done.json()["callback"]["finished_at"]
    bad = anna.post(f"{path}/status", json={"status": "weg"}, headers=csrf(anna))
    assert bad.status_code == 422

    # Deleted a configured number of days after it is finished (CALLBACK_FINISHED_DAYS, 7).
    finished = world.callbacks.get(mine.reference)
    assert finished.expires_at - finished.finished_at == timedelta(days=7)
    assert world.callbacks.delete_expired(now=finished.finished_at + timedelta(days=8)) >= 1
    assert world.callbacks.get(mine.reference) is None
    assert world.callbacks.get(by_id.reference) is not None


# -- opening hours --------------------------------------------------------------------------


def test_opening_hours_are_read_as_a_desk_writes_them():
    from datetime import datetime, timezone

    hours = "ma-vr 09:00-17:00; za 10:00-12:00"
    assert len(parse_hours(hours)) == 6
    thursday_10 = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)  # 10:00 in Amsterdam
    thursday_17 = datetime(2026, 12, 3, 16, 30, tzinfo=timezone.utc)  # 17:30
    sunday = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)
    assert is_open(hours, thursday_10) and not is_open(hours, thursday_17)
    assert not is_open(hours, sunday)
    assert is_open("za-ma 10:00-12:00", sunday)  # a range across the week's end
    assert not is_open("", thursday_10)
    for bad in ("maandag 9-17", "ma-vr 17:00-09:00", "xx 09:00-10:00", "ma 25:00-26:00"):
        with pytest.raises(HoursError):
            parse_hours(bad)


def test_the_last_admin_cannot_be_switched_off_and_errors_are_plain_dutch(world):
    admin = world.sign_in("beheer")
    for change in ({"active": False}, {"role": "advisor"}):
        refused = admin.post("/desk/api/users/beheer", json=change, headers=csrf(admin))
        assert refused.status_code == 409 and "beheerder" in refused.json()["detail"]
    bad = admin.post("/desk/api/users", headers=csrf(admin),
                     json={"username": "Has Spaces", "name": "X", "role": "advisor"})  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("Controleer: gebruikersnaam")
    assert "regex" not in bad.json()["detail"]
    hours = admin.post("/desk/api/desks", headers=csrf(admin),
                       json={"id": "x1", "name": "X", "hours": "altijd"})  # fmt: skip
    assert hours.status_code == 422 and "openingstijden" in hours.json()["detail"]
