"""Sign-in through the organisation's identity provider, through the desk's own routes:
/desk/oidc/start sends the browser to the provider (a real HTTP fake, tests/desk/test_oidc.py),
/desk/oidc/callback signs in the account of that name, with a fresh session."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from fastapi.testclient import TestClient

from bot.settings import settings
from services.callbacks.store import CallbackStore
from services.desk.app import SESSION_COOKIE, create_app
from services.desk.store import DeskStore
from tests.desk.test_oidc import CLIENT_ID, CLIENT_SECRET, REDIRECT_URL, idp, keys  # noqa: F401


@pytest.fixture
def desk(idp, tmp_path, monkeypatch):  # noqa: F811 - the provider fixture of test_oidc
    for name, value in {
        "DESK_OIDC_ISSUER": idp.issuer,
        "DESK_OIDC_CLIENT_ID": CLIENT_ID,
        "DESK_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "DESK_OIDC_REDIRECT_URL": REDIRECT_URL,
    }.items():
        monkeypatch.setenv(name, value)
    config = dataclasses.replace(
        settings(),
        desk_database_url=f"sqlite:///{tmp_path / 'desk.db'}",
        callback_database_url=f"sqlite:///{tmp_path / 'callbacks.db'}",
        desk_cookie_secure=False,
    )
    store = DeskStore(config.desk_database_url)
    app = create_app(config, store, CallbackStore(config.callback_database_url))
    with TestClient(app) as browser:
        yield browser, store


def through_the_provider(browser: TestClient) -> dict[str, str]:
    """The browser's round trip: the desk's redirect, the provider's answer (the callback)."""
    assert browser.get("/desk/api/login-options").json() == {"oidc": True}
    start = browser.get("/desk/oidc/start", follow_redirects=False)
    assert start.status_code == 303
    at_provider = requests.get(start.headers["location"], allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302
    return dict(parse_qsl(urlsplit(at_provider.headers["Location"]).query))


def test_an_account_signs_in_through_the_identity_provider(desk):
    browser, store = desk
    store.add_user("a.devries", "Anna de Vries", "advisor", None, [])  # no password: OIDC only
    planted = "planted-before-sign-in"
    browser.cookies.set(SESSION_COOKIE, planted, path="/desk")
    callback = browser.get("/desk/oidc/callback", params=through_the_provider(browser),
                           follow_redirects=False)  # fmt: skip
    assert callback.status_code == 303 and callback.headers["location"] == "/desk/"
    issued = callback.cookies.get(SESSION_COOKIE)
    assert issued and issued != planted
    assert browser.get("/desk/api/me").json()["username"] == "a.devries"
    again = browser.get("/desk/oidc/callback", params={"state": "used", "code": "x"})
    assert again.status_code == 400, "a state works once"
    assert any(e["action"] == "signed in" and e["target"] == "oidc"
               for e in store.audit_entries())  # fmt: skip


def test_a_name_without_an_account_is_refused(desk):
    browser, store = desk
    refused = browser.get("/desk/oidc/callback", params=through_the_provider(browser))
    assert refused.status_code == 403 and "beheerder" in refused.json()["detail"]
    assert browser.get("/desk/api/me").status_code == 401
    # Signing in by password is impossible for an account without one.
    browser.get("/desk/login")
    store.add_user("a.devries", "Anna de Vries", "advisor", None, [])
    by_password = browser.post(
        "/desk/api/login",
        json={"username": "a.devries", "password": "anything at all"},
        headers={"X-CSRF-Token": browser.cookies.get("desk_csrf") or ""},
    )
    assert by_password.status_code == 401
