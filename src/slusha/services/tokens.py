"""API tokens: created with the member's roles, shown once, stored as hashes, revocable."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from slusha.clock import Clock
from slusha.errors import InputError, NotFound
from slusha.services.access import TOKEN_SCOPES, Principal
from slusha.services.auth import principal_for, token_hash
from slusha.store import tokens as store_tokens
from slusha.store import users as store_users
from slusha.store.audit import record_action
from slusha.store.db import Database

TOKEN_PREFIX = "slt_"
MAX_LABEL_LENGTH = 200


@dataclass(frozen=True, slots=True)
class TokenView:
    """A token as lists show it (never the secret)."""

    id: int
    label: str
    prefix: str
    scope: str
    username: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def create_token(
    db: Database,
    *,
    username: str,
    clock: Clock,
    label: str = "",
    scope: str = "write",
    actor: str = "cli",
) -> tuple[TokenView, str]:
    """A new token for ``username``; returns it with the secret (shown only now)."""
    label = " ".join(label.split()) or "API token"
    if len(label) > MAX_LABEL_LENGTH:
        raise InputError(f"a label is at most {MAX_LABEL_LENGTH} characters")
    if scope not in TOKEN_SCOPES:
        raise InputError(f"unknown scope {scope!r} (one of: {', '.join(TOKEN_SCOPES)})")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    with db.transaction() as tx:
        user = store_users.get_user_by_name(tx.session, username=username)
        if user is None:
            raise NotFound(f"no member named {username!r} (see 'slusha users list')")
        row = store_tokens.add_token(
            tx.session, user_id=user.id, label=label, token_hash=token_hash(secret),
            prefix=secret[:10], scope=scope, now=now,
        )  # fmt: skip
        record_action(
            tx.session, at=now, actor=actor, action="token.create", target_type="api_token",
            target_id=row.id, details={"user": user.username, "label": label, "scope": scope},
        )  # fmt: skip
        view = TokenView(row.id, label, row.prefix, scope, user.username, now, None, None)
    return view, secret


def list_tokens(db: Database, *, user_id: int | None = None) -> list[TokenView]:
    """Tokens of one member (or everyone's), newest first."""
    with db.read() as tx:
        return [
            TokenView(
                t.id,
                t.label,
                t.prefix,
                t.scope,
                u.username,
                t.created_at,
                t.last_used_at,
                t.revoked_at,
            )
            for t, u in store_tokens.list_tokens(tx.session, user_id=user_id)
        ]


def revoke_token(
    db: Database, *, token_id: int, clock: Clock, owner_id: int | None = None, actor: str = "cli"
) -> None:
    """Revoke a token; with ``owner_id`` only that member's token (else ``NotFound``)."""
    now = clock.now()
    with db.transaction() as tx:
        row = store_tokens.get_token(tx.session, token_id=token_id)
        if row is None or (owner_id is not None and row.user_id != owner_id):
            raise NotFound(f"no API token with id {token_id}")
        if row.revoked_at is None:
            row.revoked_at = now
            record_action(
                tx.session, at=now, actor=actor, action="token.revoke",
                target_type="api_token", target_id=row.id,
            )  # fmt: skip


def resolve_token(db: Database, *, secret: str, clock: Clock) -> Principal | None:
    """The member a bearer token acts for, with the token's scope; None when not valid."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    now = clock.now()
    with db.read() as tx:
        found = store_tokens.get_by_hash(tx.session, token_hash=token_hash(secret))
        if found is None or not found[1].is_active:
            return None
        token, user = found
        touch = token.last_used_at is None or (now - token.last_used_at).total_seconds() >= 60
        principal = principal_for(tx.session, user, scope=token.scope)
        token_id = token.id
    if touch:
        with db.transaction() as tx:
            store_tokens.touch_token(tx.session, token_id=token_id, now=now)
    return principal
