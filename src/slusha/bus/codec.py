"""JSON for bus bodies (orjson: the bus carries every post, so encoding is a hot path)."""

from __future__ import annotations

from typing import Any

import orjson


def encode(data: dict[str, Any]) -> bytes:
    """UTF-8 JSON; raises ``TypeError`` for anything JSON cannot carry."""
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError as exc:
        raise TypeError(f"bus bodies must be JSON: {exc}") from None


def decode(raw: bytes) -> Any:
    """Parse a body."""
    return orjson.loads(raw)
