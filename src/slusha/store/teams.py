"""Teams."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from slusha.store.schema import Team


def slugify(name: str) -> str:
    """A URL-safe slug that keeps Cyrillic letters (``Грижа за клиенти`` stays readable)."""
    text = unicodedata.normalize("NFKC", name).casefold()
    slug = re.sub(r"[^\w]+", "-", text).strip("-_")
    return slug or "team"


def get_team_by_name(session: Session, *, name: str) -> Team | None:
    """The team with this name or slug, case-insensitively."""
    stmt = select(Team).where(
        (func.lower(Team.name) == name.casefold()) | (Team.slug == slugify(name))
    )
    return session.scalars(stmt).first()


def add_team(session: Session, *, name: str, now: datetime) -> Team:
    """Insert a team (the caller checks the name is free)."""
    team = Team(name=name, slug=slugify(name), created_at=now)
    session.add(team)
    session.flush()
    return team


def list_teams(session: Session) -> list[Team]:
    """All teams by name."""
    return list(session.scalars(select(Team).order_by(Team.name)))
