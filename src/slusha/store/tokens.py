"""API tokens (stored as SHA-256 hashes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from slusha.store.schema import ApiToken, User


def add_token(
    session: Session,
    *,
    user_id: int,
    label: str,
    token_hash: str,
    prefix: str,
    scope: str,
    now: datetime,
) -> ApiToken:
    """Insert a token row."""
    row = ApiToken(
        user_id=user_id,
        label=label,
        token_hash=token_hash,
        prefix=prefix,
        scope=scope,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get_by_hash(session: Session, *, token_hash: str) -> tuple[ApiToken, User] | None:
    """The live (not revoked) token with this hash, and its member."""
    stmt = (
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    )
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row else None


def list_tokens(session: Session, *, user_id: int | None = None) -> list[tuple[ApiToken, User]]:
    """Tokens (of one member, or all), newest first."""
    stmt = select(ApiToken, User).join(User, User.id == ApiToken.user_id)
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    stmt = stmt.order_by(ApiToken.id.desc())
    return [(t, u) for t, u in session.execute(stmt).all()]


def get_token(session: Session, *, token_id: int) -> ApiToken | None:
    """A token by id."""
    return session.get(ApiToken, token_id)


def touch_token(session: Session, *, token_id: int, now: datetime) -> None:
    """Note that a token was used now."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
