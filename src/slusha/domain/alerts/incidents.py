"""De-duplication: one incident while an anomaly lasts, and one "resolved" when it ends.

A pure state machine: ``advance_incident(state, check, ...)`` returns the next state and at most
one change. The state is JSON (``to_dict``/``from_dict``) so the store can keep it between runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from slusha.domain.alerts.check import Check

ChangeKind = Literal["opened", "resolved"]


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class IncidentState:
    """Whether an incident is open for a rule, since when, and how it has gone."""

    incident_id: str | None = None
    opened_at: datetime | None = None
    clear_since: datetime | None = None
    peak: float = 0.0
    peak_at: datetime | None = None
    last_resolved_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """True while an incident is open."""
        return self.incident_id is not None

    def to_dict(self) -> dict[str, Any]:
        """The state as JSON."""
        return {
            "incident_id": self.incident_id,
            "opened_at": _iso(self.opened_at),
            "clear_since": _iso(self.clear_since),
            "peak": self.peak,
            "peak_at": _iso(self.peak_at),
            "last_resolved_at": _iso(self.last_resolved_at),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> IncidentState:
        """Read the JSON form back (None or {} is the idle state)."""
        if not data:
            return cls()
        return cls(
            incident_id=data.get("incident_id"),
            opened_at=_time(data.get("opened_at")),
            clear_since=_time(data.get("clear_since")),
            peak=float(data.get("peak", 0.0)),
            peak_at=_time(data.get("peak_at")),
            last_resolved_at=_time(data.get("last_resolved_at")),
        )


@dataclass(frozen=True, slots=True)
class IncidentChange:
    """An incident opened or resolved at ``at``."""

    kind: ChangeKind
    incident_id: str
    opened_at: datetime
    at: datetime
    peak: float
    peak_at: datetime | None


def incident_id_for(rule_id: str, opened_at: datetime) -> str:
    """A deterministic id, so that a replayed evaluation names the same incident."""
    return f"{rule_id}@{opened_at.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def advance_incident(
    state: IncidentState,
    check: Check,
    *,
    rule_id: str,
    now: datetime,
    clear_after_seconds: float = 900,
) -> tuple[IncidentState, IncidentChange | None]:
    """The next state after ``check``; an incident resolves after staying clear long enough."""
    if not state.is_open:
        if not check.is_anomaly:
            return state, None
        new_id = incident_id_for(rule_id, now)
        opened = IncidentState(
            incident_id=new_id,
            opened_at=now,
            peak=check.observed,
            peak_at=now,
            last_resolved_at=state.last_resolved_at,
        )
        return opened, IncidentChange("opened", new_id, now, now, check.observed, now)
    incident_id, opened_at = state.incident_id, state.opened_at
    assert incident_id is not None and opened_at is not None
    if check.observed > state.peak:
        state = replace(state, peak=check.observed, peak_at=now)
    if not check.is_clear:
        # Still elevated (above the resolve line): any calm stretch so far is void.
        return replace(state, clear_since=None), None
    clear_since = state.clear_since or now
    if now - clear_since < timedelta(seconds=clear_after_seconds):
        return replace(state, clear_since=clear_since), None
    change = IncidentChange("resolved", incident_id, opened_at, now, state.peak, state.peak_at)
    return IncidentState(last_resolved_at=now), change
