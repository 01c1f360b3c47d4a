"""services/desk/oidc.py against a real (fake) identity provider over HTTP on 127.0.0.1.

The fake provider is a small http.server with discovery, JWKS, /authorize and /token. It
checks what a real provider checks (client, redirect URI, PKCE, one-time codes, client
authentication) and signs ID tokens with an RSA key generated here; a test changes what it
signs or publishes to see that the client refuses it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from services.desk.oidc import OidcClient, OidcConfig, OidcError, oidc_config_from_env

CLIENT_ID = "leerwijzer-desk"
CLIENT_SECRET = "desk-secret"  # noqa: S105 (a test value)
REDIRECT_URL = "https://desk.example.nl/desk/oidc/callback"


class FakeIdP:
    """An OpenID provider in a background thread; tests change its attributes."""

    def __init__(self, key: RSAKey) -> None:
        self.published = [key]  # the JWKS
        self.signing_key = key
        self.algorithm = "RS256"
        self.claims: dict = {}  # overrides of the ID token's claims; None removes one
        self.auth_methods = ["client_secret_basic", "client_secret_post"]
        self.issuer_in_discovery: str | None = None
        self.codes: dict[str, dict] = {}
        self.token_requests: list[str] = []  # the client authentication method of each
        self.jwks_fetches = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        serve = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        serve.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer_in_discovery or self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": self.auth_methods,
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict:
        self.jwks_fetches += 1
        return KeySet(self.published).as_dict(private=False)

    def authorize(self, params: dict[str, str]) -> tuple[int, dict[str, str]]:
        ok = (
            params.get("client_id") == CLIENT_ID
            and params.get("response_type") == "code"
            and params.get("redirect_uri") == REDIRECT_URL
            and "openid" in params.get("scope", "").split()
            and params.get("code_challenge_method") == "S256"
            and params.get("code_challenge")
            and params.get("state")
            and params.get("nonce")
        )
        if not ok:
            return 400, {}
        code = secrets.token_urlsafe(16)
        self.codes[code] = params
        query = urlencode({"code": code, "state": params["state"]})
        return 302, {"Location": f"{REDIRECT_URL}?{query}"}

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict]:
        if authorization.startswith("Basic "):
            method = "client_secret_basic"
            client = base64.b64decode(authorization[6:]).decode()
        else:
            method = "client_secret_post"
            client = f"{form.get('client_id')}:{form.get('client_secret')}"
        self.token_requests.append(method)
        if method not in self.auth_methods or client != f"{CLIENT_ID}:{CLIENT_SECRET}":
            return 401, {"error": "invalid_client"}
        request = self.codes.pop(form.get("code", ""), None)  # a code works once
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if (
            form.get("grant_type") != "authorization_code"
            or request is None
            or form.get("redirect_uri") != request["redirect_uri"]
            or challenge.decode() != request["code_challenge"]
        ):
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": "248289761001",
            "aud": CLIENT_ID,
            "exp": now + 300,
            "iat": now,
            "nonce": request["nonce"],
            "preferred_username": "A.deVries",
            "email": "Anna.deVries@Gemeente.example.nl",
        }
        claims.update(self.claims)
        claims = {k: v for k, v in claims.items() if v is not None}
        header = {"alg": self.algorithm, "kid": self.signing_key.kid}
        id_token = jwt.encode(header, claims, self.signing_key)
        return 200, {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }


def _handler(idp: FakeIdP) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._answer(200, idp.discovery())
            elif url.path == "/jwks":
                self._answer(200, idp.jwks())
            elif url.path == "/authorize":
                status, headers = idp.authorize(dict(parse_qsl(url.query)))
                self._answer(status, {}, headers)
            else:
                self._answer(404, {"error": "not_found"})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            if urlsplit(self.path).path != "/token":
                self._answer(404, {"error": "not_found"})
                return
            status, body = idp.token(form, self.headers.get("Authorization", ""))
            self._answer(status, body)

        def _answer(self, status: int, body: dict, headers: dict | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def keys() -> dict[str, RSAKey]:
    return {
        "idp": RSAKey.generate_key(2048, {"kid": "idp-1"}),
        "other": RSAKey.generate_key(2048, {"kid": "idp-1"}),  # same kid, another key
        "rotated": RSAKey.generate_key(2048, {"kid": "idp-2"}),
    }


@pytest.fixture
def idp(keys):
    server = FakeIdP(keys["idp"])
    yield server
    server.stop()


def make_client(issuer: str, **changes) -> OidcClient:
    config = OidcConfig(
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_url=REDIRECT_URL,
        **changes,
    )
    return OidcClient(config, timeout=5)


@pytest.fixture
def client(idp) -> OidcClient:
    return make_client(idp.issuer)


def authorize(client: OidcClient) -> tuple[dict[str, str], dict]:
    """start(), then the browser's visit to the provider: the callback query and pending."""
    url, pending = client.start()
    response = requests.get(url, allow_redirects=False, timeout=5)
    assert response.status_code == 302, "the fake provider refused the authorization request"
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URL + "?")
    return dict(parse_qsl(urlsplit(location).query)), pending


def test_sign_in_returns_the_lower_cased_username(client, idp):
    url, pending = client.start()
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["state"] == pending["state"]
    assert params["nonce"] == pending["nonce"]
    assert params["code_challenge_method"] == "S256"
    assert pending["code_verifier"] not in url
    assert len(pending["code_verifier"]) >= 43

    query, pending = authorize(client)
    assert client.finish(query, pending) == "a.devries"
    assert idp.token_requests == ["client_secret_basic"]


def test_client_secret_post_when_the_provider_allows_only_that(client, idp):
    idp.auth_methods = ["client_secret_post"]
    query, pending = authorize(client)
    assert client.finish(query, pending) == "a.devries"
    assert idp.token_requests == ["client_secret_post"]


def test_username_falls_back_to_email_then_sub(client, idp):
    idp.claims = {"preferred_username": None}
    assert client.finish(*authorize(client)) == "anna.devries@gemeente.example.nl"
    idp.claims = {"preferred_username": None, "email": None}
    assert client.finish(*authorize(client)) == "248289761001"


def test_configured_username_claim(idp):
    client = make_client(idp.issuer, username_claim="email")
    assert client.finish(*authorize(client)) == "anna.devries@gemeente.example.nl"


def test_wrong_state_is_refused(client, idp):
    query, pending = authorize(client)
    with pytest.raises(OidcError, match="state"):
        client.finish({**query, "state": "somebody-elses-state"}, pending)
    with pytest.raises(OidcError, match="state"):
        client.finish({"code": query["code"]}, pending)
    assert idp.token_requests == []


def test_missing_pending_sign_in_is_refused(client):
    query, _ = authorize(client)
    with pytest.raises(OidcError, match="pending"):
        client.finish(query, {})


def test_error_from_the_provider_is_refused(client, idp):
    _, pending = client.start()
    query = {"error": "access_denied", "state": pending["state"]}
    with pytest.raises(OidcError, match="access_denied"):
        client.finish(query, pending)
    with pytest.raises(OidcError, match="unknown"):
        client.finish({"error": "<script>\nforged log line", "state": pending["state"]}, pending)
    assert idp.token_requests == []


def test_callback_from_another_issuer_is_refused(client):
    query, pending = authorize(client)
    with pytest.raises(OidcError, match="issuer"):
        client.finish({**query, "iss": "https://evil.example"}, pending)


def test_wrong_code_verifier_is_refused(client):
    query, pending = authorize(client)
    with pytest.raises(OidcError, match="invalid_grant"):
        client.finish(query, {**pending, "code_verifier": "x" * 64})


def test_a_code_works_once(client):
    query, pending = authorize(client)
    assert client.finish(query, pending) == "a.devries"
    with pytest.raises(OidcError, match="invalid_grant"):
        client.finish(query, pending)


@pytest.mark.parametrize(
    ("claims", "check"),
    [
        pytest.param({"nonce": "another-nonce"}, "nonce", id="wrong nonce"),
        pytest.param({"nonce": None}, "nonce", id="no nonce"),
        pytest.param({"aud": "another-client"}, "aud", id="wrong audience"),
        pytest.param({"aud": [CLIENT_ID, "another-client"]}, "azp", id="shared audience"),
        pytest.param({"iss": "https://evil.example"}, "iss", id="wrong issuer"),
        pytest.param(
            {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, "expired", id="expired"
        ),
        pytest.param({"exp": None}, "exp", id="no expiry"),
        pytest.param({"iat": int(time.time()) + 3600}, "future", id="issued in the future"),
        pytest.param({"iat": None}, "iat", id="no issue time"),
    ],
)
def test_id_token_with_wrong_claims_is_refused(client, idp, claims, check):
    idp.claims = claims
    query, pending = authorize(client)
    with pytest.raises(OidcError, match="ID token refused") as refused:
        client.finish(query, pending)
    assert check in str(refused.value)
    assert query["code"] not in str(refused.value)


def test_token_signed_with_another_key_is_refused(client, idp, keys):
    idp.signing_key = keys["other"]  # same kid as the published key
    with pytest.raises(OidcError, match="ID token refused"):
        client.finish(*authorize(client))


def test_token_signed_with_an_unpublished_kid_is_refused_after_one_jwks_refresh(client, idp, keys):
    assert client.finish(*authorize(client)) == "a.devries"
    idp.signing_key = keys["rotated"]
    with pytest.raises(OidcError, match="ID token refused"):
        client.finish(*authorize(client))
    assert idp.jwks_fetches == 2


def test_rotated_provider_key_is_fetched(client, idp, keys):
    assert client.finish(*authorize(client)) == "a.devries"
    idp.published = [keys["idp"], keys["rotated"]]
    idp.signing_key = keys["rotated"]
    assert client.finish(*authorize(client)) == "a.devries"
    assert idp.jwks_fetches == 2


def test_token_with_a_shared_secret_algorithm_is_refused(client, idp):
    idp.signing_key = OctKey.generate_key(256, {"kid": "idp-1"})
    idp.algorithm = "HS256"
    with pytest.raises(OidcError, match="ID token refused"):
        client.finish(*authorize(client))


def test_discovery_unreachable_gives_oidc_error():
    with socket.socket() as probe:  # a free port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}")
    with pytest.raises(OidcError, match="discovery could not be fetched"):
        client.start()


def test_discovery_for_another_issuer_is_refused(client, idp):
    idp.issuer_in_discovery = "http://127.0.0.1:1"
    with pytest.raises(OidcError, match="another issuer"):
        client.start()


def test_discovery_over_plain_http_is_refused_except_on_loopback(idp):
    client = make_client(idp.issuer.replace("127.0.0.1", "localhost"))
    idp.issuer_in_discovery = "http://idp.example.nl"
    with pytest.raises(OidcError, match="https"):
        client.start()


def test_config_from_env(monkeypatch):
    for name in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URL", "SCOPES"):
        monkeypatch.delenv(f"DESK_OIDC_{name}", raising=False)
    monkeypatch.delenv("DESK_OIDC_USERNAME_CLAIM", raising=False)
    assert oidc_config_from_env() is None
    monkeypatch.setenv("DESK_OIDC_ISSUER", "https://login.example.nl/realms/gemeente")
    monkeypatch.setenv("DESK_OIDC_CLIENT_ID", CLIENT_ID)
    assert oidc_config_from_env() is None  # no redirect URL yet
    monkeypatch.setenv("DESK_OIDC_REDIRECT_URL", REDIRECT_URL)
    monkeypatch.setenv("DESK_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("DESK_OIDC_USERNAME_CLAIM", "email")
    assert oidc_config_from_env() == OidcConfig(
        issuer="https://login.example.nl/realms/gemeente",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_url=REDIRECT_URL,
        scopes="openid profile email",
        username_claim="email",
    )
