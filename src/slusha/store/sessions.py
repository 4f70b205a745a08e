"""Browser sessions and failed sign-in counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from slusha.store.schema import LoginAttempt, Membership, User, WebSession


def add_session(
    session: Session,
    *,
    token_hash: str,
    user_id: int,
    csrf_token: str,
    now: datetime,
    expires_at: datetime,
) -> WebSession:
    """Insert a session row."""
    row = WebSession(
        token_hash=token_hash,
        user_id=user_id,
        csrf_token=csrf_token,
        created_at=now,
        last_seen_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row


def get_session(session: Session, *, token_hash: str) -> tuple[WebSession, User] | None:
    """The session with this token hash and its member."""
    stmt = (
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == token_hash)
    )
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row else None


def delete_session(session: Session, *, token_hash: str) -> None:
    """Remove one session (sign-out, rotation)."""
    session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


def delete_user_sessions(session: Session, *, user_id: int, keep_hash: str | None = None) -> None:
    """Remove every session of a member, except ``keep_hash`` (password change)."""
    stmt = delete(WebSession).where(WebSession.user_id == user_id)
    if keep_hash is not None:
        stmt = stmt.where(WebSession.token_hash != keep_hash)
    session.execute(stmt)


def delete_expired_sessions(session: Session, *, now: datetime) -> None:
    """Drop sessions past their absolute expiry."""
    session.execute(delete(WebSession).where(WebSession.expires_at < now))


def get_attempt(session: Session, *, key: str) -> LoginAttempt | None:
    """The failure counter of one key."""
    return session.scalars(select(LoginAttempt).where(LoginAttempt.key == key)).first()


def record_failure(session: Session, *, key: str, now: datetime) -> LoginAttempt:
    """Count one more failure for ``key``."""
    row = get_attempt(session, key=key)
    if row is None:
        row = LoginAttempt(key=key, failures=0, last_failure_at=now, locked_until=None)
        session.add(row)
    row.failures += 1
    row.last_failure_at = now
    session.flush()
    return row


def clear_attempts(session: Session, *, key: str) -> None:
    """Forget the failures of ``key`` (after a successful sign-in)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))


def roles_of(session: Session, *, user_id: int) -> dict[int, str]:
    """A member's role per team id."""
    rows = session.execute(
        select(Membership.team_id, Membership.role).where(Membership.user_id == user_id)
    ).all()
    return {int(team_id): str(role) for team_id, role in rows}


def touch_session(session: Session, *, token_hash: str, now: datetime) -> None:
    """Note that a session was used now (for the idle timeout)."""
    session.execute(
        update(WebSession).where(WebSession.token_hash == token_hash).values(last_seen_at=now)
    )
