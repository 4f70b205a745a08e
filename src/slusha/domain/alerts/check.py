"""The outcome of one evaluation of a spike or sentiment detector."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

CheckKind = Literal["spike", "sentiment"]


@dataclass(frozen=True, slots=True)
class Check:
    """What a detector saw in one window, what it expected, and its verdict.

    ``observed``, ``expected``, ``threshold`` and ``resolve_below`` are counts of mentions
    (spike) or shares of negative mentions between 0 and 1 (sentiment). ``is_anomaly`` opens
    an incident; ``is_clear`` (below ``resolve_below``) lets an open one close. In between the
    incident stays as it is, so a level that hovers near the line does not flap.
    """

    kind: CheckKind
    window_start: datetime
    window_end: datetime
    observed: float
    expected: float
    threshold: float
    resolve_below: float
    p_value: float
    is_anomaly: bool
    is_clear: bool
    total: int | None = None
    usual_low: float | None = None
    usual_high: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Observed over expected, when expected is positive."""
        return self.observed / self.expected if self.expected > 0 else None

    def to_dict(self) -> dict[str, Any]:
        """The check as JSON."""
        return {
            "kind": self.kind,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "observed": self.observed,
            "expected": self.expected,
            "threshold": self.threshold,
            "resolve_below": self.resolve_below,
            "p_value": self.p_value,
            "is_anomaly": self.is_anomaly,
            "is_clear": self.is_clear,
            "total": self.total,
            "usual_low": self.usual_low,
            "usual_high": self.usual_high,
            "note": self.note,
        }
