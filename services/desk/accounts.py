"""Accounts: Argon2 passwords (argon2-cffi), sign-in with lockout, sessions and CSRF tokens.

A session is a random token in an HttpOnly cookie; the store keeps only its SHA-256. Each
session has its own CSRF token, which the pages send in a header (docs/desk.md). Signing in
always makes a new session, so a session id planted before sign-in is worth nothing.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.desk.store import DeskStore, User, now_utc

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()  # the library's defaults follow RFC 9106's recommendations
# Each check uses 64 MiB (Argon2id's memory cost): at most two at once, so twenty sign-ins at
# the same moment do not take a gigabyte; on two cores they are not slower for it.
_checks = threading.BoundedSemaphore(2)
# Verified when the username is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class SignInRefused(Exception):
    """Wrong name or password, an inactive account (`locked` False) or a locked one (True)."""

    def __init__(self, locked: bool = False) -> None:
        super().__init__("locked" if locked else "refused")
        self.locked = locked


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    with _checks:
        return _hasher.hash(password)


@dataclass(frozen=True)
class Session:
    token: str  # the cookie's value
    csrf: str
    user: User


class Accounts:
    def __init__(
        self,
        store: DeskStore,
        lockout_attempts: int = 5,
        lockout_minutes: float = 15,
        idle_minutes: float = 60,
        longest_hours: float = 10,
    ) -> None:
        self.store = store
        self.lockout_attempts = lockout_attempts
        self.lock_for = timedelta(minutes=lockout_minutes)
        self.idle = timedelta(minutes=idle_minutes)
        self.longest = timedelta(hours=longest_hours)

    def check_password(self, username: str, password: str) -> User:
        """The user; SignInRefused otherwise. Failures count towards a lock."""
        user = self.store.user(username.strip().lower())
        if user is None or not user.password_hash:
            with _checks, contextlib.suppress(VerificationError):
                _hasher.verify(_DUMMY_HASH, password)
            raise SignInRefused()
        if user.locked_until and user.locked_until > now_utc():
            raise SignInRefused(locked=True)
        try:
            with _checks:
                _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            after = self.store.record_failure(user.id, self.lockout_attempts, self.lock_for)
            locked = bool(after and after.locked_until and after.locked_until > now_utc())
            raise SignInRefused(locked=locked) from None
        if not user.active:
            raise SignInRefused()
        if _hasher.check_needs_rehash(user.password_hash):
            self.store.update_user(user.username, password_hash=_hasher.hash(password))
        self.store.clear_failures(user.id)
        return user

    def start_session(self, user: User) -> Session:
        """A new session (never one the browser brought along)."""
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), user)
        self.store.add_session(session.token, user.id, session.csrf)
        return session

    def session(self, token: str | None) -> Session | None:
        """The session of a cookie while it is valid and its account active."""
        if not token or len(token) > 200:
            return None
        row = self.store.session(token)
        if row is None:
            return None
        moment = now_utc()
        if row["last_seen"] < moment - self.idle or row["created_at"] < moment - self.longest:
            self.store.end_session(token)
            return None
        user = self.store.user_by_id(row["user_id"])
        if user is None or not user.active:
            return None
        if moment - row["last_seen"] > timedelta(minutes=1):
            self.store.touch_session(token)
        return Session(token, row["csrf"], user)
