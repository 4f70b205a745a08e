"""The shipped enricher, loaded once per test session (it is the real one)."""

from __future__ import annotations

from functools import cache

from slusha.pipeline.runtime import build_enricher
from slusha.pipeline.stages import EnricherLike


@cache
def shared_enricher() -> EnricherLike:
    """The real language and sentiment models, loaded once."""
    return build_enricher()
