"""Messages that kept failing, kept with their reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from slusha.store.schema import DeadLetter


def add_dead_letter(
    session: Session, *, subject: str, payload: str, error: str, at: datetime
) -> None:
    """Keep a message that could not be processed."""
    session.add(DeadLetter(subject=subject, payload=payload, error=error[:4000], at=at))


def count_dead_letters(session: Session) -> int:
    """How many messages were given up on."""
    return int(session.scalar(select(func.count(DeadLetter.id))) or 0)
