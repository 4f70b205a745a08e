"""Helpers shared by the API routers: id bounds, time parameters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query

from slusha.errors import InputError

MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def utc(value: datetime | None, *, name: str) -> datetime | None:
    """A time parameter in UTC (UTC assumed when it has no offset)."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InputError(f"{name} is out of range", code="bad_filter") from None
