"""Value objects of ingestion: a raw item with its origin, and a rejection with its reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slusha.domain.post import Post


@dataclass(slots=True)
class Rejection:
    """An input that was not a valid post: where it was and why."""

    where: str  # "line 12", "message 3", ...
    reason: str
    network: str | None = None


@dataclass(slots=True)
class Incoming:
    """One raw item with the place it came from (for error messages) and its source.

    ``source_language`` is the language the source is configured with (ISO 639-1), a hint
    for language detection; it is not part of the post.
    """

    data: dict[str, Any] | Post
    where: str
    source_id: int | None = None
    source_language: str | None = None
