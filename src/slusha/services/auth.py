"""Signing in and out: Argon2id passwords, lock-out with backoff, hashed server-side sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slusha.clock import Clock
from slusha.errors import InputError, SlushaError
from slusha.services.access import Principal
from slusha.services.users import hash_password, verify_password
from slusha.store import sessions as store_sessions
from slusha.store import users as store_users
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.schema import User

# Verified against when the username is unknown, so that both cases take the same time.
_DUMMY_HASH = hash_password("slusha-dummy-password")
LAST_SEEN_RESOLUTION = timedelta(seconds=60)
MIN_PASSWORD_LENGTH = 10
MAX_LOCKOUT = timedelta(hours=1)


class SignInError(SlushaError):
    """The sign-in was refused; ``code`` is ``bad_credentials`` or ``locked``."""

    code = "bad_credentials"

    def __init__(self, message: str, *, code: str, retry_after_seconds: int = 0) -> None:
        super().__init__(message, code=code)
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long sessions live and when sign-in locks."""

    idle: timedelta = timedelta(minutes=60)
    absolute: timedelta = timedelta(hours=12)
    max_failures: int = 5
    lockout: timedelta = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just created: the cookie value is known only here."""

    token: str
    csrf_token: str
    principal: Principal
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """A valid session found from its cookie."""

    token_hash: str
    csrf_token: str
    principal: Principal


def token_hash(token: str) -> str:
    """SHA-256 hex of a session or API token (random tokens need no slow hash)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def principal_for(session: Any, user: User, *, scope: str = "write") -> Principal:
    """The member with their roles per team (``session``: the caller's store session)."""
    return Principal(
        user_id=user.id,
        username=user.username,
        is_admin=user.is_admin,
        roles=store_sessions.roles_of(session, user_id=user.id),
        locale=user.locale,
        scope=scope,
    )


def _lockout_for(failures: int, policy: SessionPolicy) -> timedelta | None:
    """Backoff: the lock doubles with each failure past the limit, up to an hour."""
    if failures < policy.max_failures:
        return None
    return min(policy.lockout * (2 ** (failures - policy.max_failures)), MAX_LOCKOUT)


def sign_in(
    db: Database,
    *,
    username: str,
    password: str,
    client: str,
    clock: Clock,
    policy: SessionPolicy,
    replace_token: str | None = None,
) -> NewSession:
    """Check the password and open a new session (the old one, if any, is dropped: rotation).

    Failures are counted per username and per client address; past ``max_failures`` the key is
    locked for a time that doubles with each further failure.
    """
    now = clock.now()
    keys = [f"user:{username.casefold()}"[:200], f"client:{client}"[:200]]
    locked: timedelta | None = None
    with db.transaction() as tx:
        for key in keys:
            attempt = store_sessions.get_attempt(tx.session, key=key)
            if attempt and attempt.locked_until and attempt.locked_until > now:
                wait = int((attempt.locked_until - now).total_seconds()) + 1
                raise SignInError(
                    f"too many failed sign-ins: try again in {wait} seconds",
                    code="locked",
                    retry_after_seconds=wait,
                )
        user = store_users.get_user_by_name(tx.session, username=username)
        ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
        if user is None or not ok or not user.is_active:
            for key in keys:
                row = store_sessions.record_failure(tx.session, key=key, now=now)
                lock = _lockout_for(row.failures, policy)
                if lock is not None:
                    row.locked_until = now + lock
                    locked = lock
            failed = True
        else:
            failed = False
    if failed:
        if locked is not None:
            raise SignInError(
                "too many failed sign-ins: try again later",
                code="locked",
                retry_after_seconds=int(locked.total_seconds()),
            )
        raise SignInError("the username or the password is wrong", code="bad_credentials")
    assert user is not None
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires_at = now + policy.absolute
    with db.transaction() as tx:
        for key in keys:
            store_sessions.clear_attempts(tx.session, key=key)
        if replace_token:
            store_sessions.delete_session(tx.session, token_hash=token_hash(replace_token))
        store_sessions.delete_expired_sessions(tx.session, now=now)
        store_sessions.add_session(
            tx.session,
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            now=now,
            expires_at=expires_at,
        )
        principal = principal_for(tx.session, user)
        record_action(
            tx.session, at=now, actor=user.username, actor_id=user.id, action="user.sign_in",
            target_type="user", target_id=user.id, details={"client": client},
        )  # fmt: skip
    return NewSession(token=token, csrf_token=csrf, principal=principal, expires_at=expires_at)


def resolve_session(
    db: Database, *, token: str, clock: Clock, policy: SessionPolicy
) -> ActiveSession | None:
    """The session for a cookie value, or None when unknown, idle too long or expired.

    Reads without the write lock; writes only to end a session or (once a minute) to note use.
    """
    now = clock.now()
    hashed = token_hash(token)
    with db.read() as tx:
        found = store_sessions.get_session(tx.session, token_hash=hashed)
        if found is None:
            return None
        row, user = found
        expired = (
            row.expires_at <= now or row.last_seen_at + policy.idle <= now or not user.is_active
        )
        touch = now - row.last_seen_at >= LAST_SEEN_RESOLUTION
        active = ActiveSession(
            token_hash=hashed, csrf_token=row.csrf_token, principal=principal_for(tx.session, user)
        )
    if expired:
        with db.transaction() as tx:
            store_sessions.delete_session(tx.session, token_hash=hashed)
        return None
    if touch:
        with db.transaction() as tx:
            store_sessions.touch_session(tx.session, token_hash=hashed, now=now)
    return active


def sign_out(db: Database, *, token: str, clock: Clock) -> None:
    """End the session of this cookie value."""
    with db.transaction() as tx:
        store_sessions.delete_session(tx.session, token_hash=token_hash(token))


def change_password(
    db: Database,
    *,
    principal: Principal,
    current: str,
    new: str,
    clock: Clock,
    keep_session_hash: str | None = None,
) -> None:
    """Set a new password after checking the current one; other sessions are signed out."""
    if len(new) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"the new password needs at least {MIN_PASSWORD_LENGTH} characters",
            code="password_too_short",
        )
    now = clock.now()
    with db.transaction() as tx:
        user = tx.session.get(User, principal.user_id)
        if user is None or not verify_password(user.password_hash, current):
            raise InputError("the current password is wrong", code="wrong_password")
        user.password_hash = hash_password(new)
        store_sessions.delete_user_sessions(
            tx.session, user_id=user.id, keep_hash=keep_session_hash
        )
        record_action(
            tx.session, at=now, actor=user.username, actor_id=user.id,
            action="user.password_change", target_type="user", target_id=user.id,
        )  # fmt: skip


def set_locale(db: Database, *, principal: Principal, locale: str | None, clock: Clock) -> None:
    """Remember the member's interface language (None: follow the browser)."""
    with db.transaction() as tx:
        user = tx.session.get(User, principal.user_id)
        if user is None:
            return
        user.locale = locale
        record_action(
            tx.session, at=clock.now(), actor=user.username, actor_id=user.id,
            action="user.set_locale", target_type="user", target_id=user.id,
            details={"locale": locale},
        )  # fmt: skip
