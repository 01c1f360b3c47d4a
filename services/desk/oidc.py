"""Sign-in for advisors through a municipality's OpenID Connect identity provider.

Authorization code flow with PKCE (S256), state and nonce. Authlib does the protocol work
(authorization URL, token request, ID token claims) and joserfc, which Authlib uses itself,
checks the ID token's signature against the provider's JWKS. This module has no routes: the
desk calls `start()` for the redirect and `finish()` in the callback, and keeps the `pending`
dict server-side between the two (keyed by state, for at most ten minutes).

Error messages are in English, for the log; they never contain a code or a token.
"""

from __future__ import annotations

import hmac
import os
import re
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

# Asymmetric algorithms only: an ID token is never accepted unsigned or with a shared secret.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
CLOCK_LEEWAY_SECONDS = 60
AUTH_METHODS = ("client_secret_basic", "client_secret_post")  # in order of preference
ERROR_CODE = re.compile(r"[a-z_]{1,64}")  # an OAuth error code, safe to put in a message


class OidcError(Exception):
    """Sign-in through the identity provider failed; the message is safe to log."""


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_url: str
    scopes: str = "openid profile email"
    username_claim: str = "preferred_username"


def oidc_config_from_env() -> OidcConfig | None:
    """The DESK_OIDC_* settings, or None when sign-in through an identity provider is off."""
    env = os.environ
    issuer = env.get("DESK_OIDC_ISSUER", "").strip()
    client_id = env.get("DESK_OIDC_CLIENT_ID", "").strip()
    redirect_url = env.get("DESK_OIDC_REDIRECT_URL", "").strip()
    if not (issuer and client_id and redirect_url):
        return None
    return OidcConfig(
        issuer=issuer,
        client_id=client_id,
        client_secret=env.get("DESK_OIDC_CLIENT_SECRET", ""),
        redirect_url=redirect_url,
        scopes=env.get("DESK_OIDC_SCOPES", "").strip() or OidcConfig.scopes,
        username_claim=env.get("DESK_OIDC_USERNAME_CLAIM", "").strip() or OidcConfig.username_claim,
    )


class OidcClient:
    """One identity provider. Discovery and JWKS are fetched on first use and cached."""

    def __init__(self, config: OidcConfig, timeout: float = 10.0) -> None:
        self.config = config
        self.timeout = timeout
        self._metadata: OpenIDProviderMetadata | None = None
        self._keys: KeySet | None = None

    def start(self) -> tuple[str, dict]:
        """The authorization URL to redirect the browser to, and the pending dict to store."""
        metadata = self.metadata()
        pending = {
            "state": generate_token(32),
            "nonce": generate_token(32),
            "code_verifier": generate_token(64),  # RFC 7636: 43 to 128 characters
        }
        with self._session() as session:
            url, _ = session.create_authorization_url(
                metadata["authorization_endpoint"],
                state=pending["state"],
                nonce=pending["nonce"],
                code_verifier=pending["code_verifier"],
            )
        return url, pending

    def finish(self, query: dict[str, str], pending: dict) -> str:
        """Check the callback, redeem the code and return the signed-in username, lower-cased."""
        error = query.get("error")
        if error:
            shown = error if ERROR_CODE.fullmatch(error) else "unknown"
            raise OidcError(f"identity provider refused the sign-in: {shown}")
        state, nonce, verifier = (pending.get(k) for k in ("state", "nonce", "code_verifier"))
        if not (state and nonce and verifier):
            raise OidcError("no pending sign-in")
        if not hmac.compare_digest(str(query.get("state", "")).encode(), str(state).encode()):
            raise OidcError("state does not match the pending sign-in")
        metadata = self.metadata()
        # RFC 9207: when the provider names itself in the callback, it must be ours.
        if "iss" in query and query["iss"] != metadata["issuer"]:
            raise OidcError("callback comes from another issuer")
        code = query.get("code")
        if not code:
            raise OidcError("callback has no code")
        token = self._redeem(metadata, code, verifier)
        claims = self._validate_id_token(metadata, token, nonce)
        for name in (self.config.username_claim, "email", "sub"):
            value = claims.get(name)
            if isinstance(value, str) and value.strip():
                return value.strip().lower()
        raise OidcError("ID token has no username claim")

    def metadata(self) -> OpenIDProviderMetadata:
        """The provider's discovery document, validated (https, except on loopback)."""
        if self._metadata is None:
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            metadata = OpenIDProviderMetadata(self._get_json(url, "discovery"))
            try:
                metadata.validate()
            except ValueError as exc:
                raise OidcError(f"discovery document is invalid: {exc}") from exc
            # OpenID Connect Discovery 4.3: the document must name the issuer we asked.
            if metadata["issuer"].rstrip("/") != self.config.issuer.rstrip("/"):
                raise OidcError("discovery document names another issuer")
            if not metadata.get("authorization_endpoint"):
                raise OidcError("discovery document has no authorization endpoint")
            self._metadata = metadata
        return self._metadata

    def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            data = self._get_json(self.metadata()["jwks_uri"], "JWKS")
            try:
                self._keys = KeySet.import_key_set(data)
            except (JoseError, ValueError, TypeError, KeyError) as exc:
                raise OidcError("JWKS document is invalid") from exc
        return self._keys

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = requests.get(url, timeout=self.timeout)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise OidcError(f"{what} could not be fetched ({type(exc).__name__})") from exc
        if not isinstance(data, dict):
            raise OidcError(f"{what} is not a JSON object")
        return data

    def _session(self, auth_method: str | None = None) -> OAuth2Session:
        return OAuth2Session(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            token_endpoint_auth_method=auth_method,
            scope=self.config.scopes,
            redirect_uri=self.config.redirect_url,
            code_challenge_method="S256",
            default_timeout=self.timeout,
        )

    def _redeem(self, metadata: OpenIDProviderMetadata, code: str, verifier: str) -> dict:
        supported = metadata.token_endpoint_auth_methods_supported
        auth_method = next((m for m in AUTH_METHODS if m in supported), None)
        if auth_method is None:
            raise OidcError("identity provider supports no client_secret authentication")
        with self._session(auth_method) as session:
            try:
                return session.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=verifier,
                )
            except OAuthError as exc:
                shown = exc.error if ERROR_CODE.fullmatch(str(exc.error)) else "unknown"
                raise OidcError(f"token request refused: {shown}") from None
            except (requests.RequestException, ValueError) as exc:
                raise OidcError(f"token request failed ({type(exc).__name__})") from None

    def _validate_id_token(self, metadata: OpenIDProviderMetadata, token: dict, nonce: str) -> dict:
        id_token = token.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise OidcError("token response has no ID token")
        registry = JWSRegistry(algorithms=SIGNING_ALGORITHMS, strict_check_header=False)
        try:
            try:
                decoded = jwt.decode(id_token, self._key_set(), registry=registry)
            except InvalidKeyIdError:  # the provider may have rotated its keys
                decoded = jwt.decode(id_token, self._key_set(refresh=True), registry=registry)
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                options={
                    "iss": {"essential": True, "value": metadata["issuer"]},
                    "aud": {"essential": True, "value": self.config.client_id},
                    "exp": {"essential": True},
                    "iat": {"essential": True},
                },
                params={
                    "nonce": nonce,
                    "client_id": self.config.client_id,
                    "access_token": token.get("access_token"),
                },
            )
            claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
        except JoseError as exc:  # the message names the check, e.g. "invalid_claim: ... 'aud'"
            raise OidcError(f"ID token refused ({exc})") from None
        except ValueError as exc:  # a malformed token
            raise OidcError(f"ID token refused ({type(exc).__name__})") from None
        return dict(claims)
