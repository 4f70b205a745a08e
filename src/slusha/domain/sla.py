"""Response-time targets and the timers of one mention: deadlines, warnings, breaches.

First response stops at the first published reply, or at resolution when none was sent.
Resolution stops when the mention is resolved; a reopened mention gets a new resolution
deadline counted from the reopening. Warnings fire ``warn_before_minutes`` (wall clock) before
a deadline; reassignment fires ``reassign_after_minutes`` business minutes after an
assignment that got no first response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slusha.domain.business_hours import BusinessHours, add_business_minutes, business_seconds

WARN_FIRST = "warn_first"
BREACH_FIRST = "breach_first"
WARN_RESOLUTION = "warn_resolution"
BREACH_RESOLUTION = "breach_resolution"
REASSIGN = "reassign"


@dataclass(frozen=True, slots=True)
class SlaTargets:
    """A team's targets in business minutes, with its business hours."""

    hours: BusinessHours = field(default_factory=BusinessHours)
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    warn_before_minutes: int = 15
    reassign_after_minutes: int | None = None

    def first_response_due(self, start: datetime) -> datetime | None:
        """The first-response deadline of a mention that arrived at ``start``."""
        if self.first_response_minutes is None:
            return None
        return add_business_minutes(self.hours, start, self.first_response_minutes)

    def resolution_due(self, start: datetime) -> datetime | None:
        """The resolution deadline counted from ``start``."""
        if self.resolution_minutes is None:
            return None
        return add_business_minutes(self.hours, start, self.resolution_minutes)

    def elapsed_seconds(self, start: datetime, end: datetime) -> float:
        """Business seconds between two instants (what reports measure)."""
        return business_seconds(self.hours, start, end)


@dataclass(slots=True)
class TimerState:
    """What the checks need to know about one mention's timer."""

    started_at: datetime
    first_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    assigned_at: datetime | None = None
    has_assignee: bool = False
    warned: frozenset[str] = frozenset()
    breached: frozenset[str] = frozenset()
    escalated_at: datetime | None = None
    is_closed: bool = False  # ignored: no clock runs


def checks(state: TimerState, targets: SlaTargets) -> list[tuple[datetime, str]]:
    """Every future check of this timer: (instant, kind), earliest first."""
    if state.is_closed or state.resolved_at is not None:
        return []
    warn = timedelta(minutes=targets.warn_before_minutes)
    out: list[tuple[datetime, str]] = []
    if state.first_response_at is None and state.first_response_due_at is not None:
        if "first" not in state.warned and targets.warn_before_minutes > 0:
            out.append((state.first_response_due_at - warn, WARN_FIRST))
        if "first" not in state.breached:
            out.append((state.first_response_due_at, BREACH_FIRST))
    if state.resolution_due_at is not None:
        if "resolution" not in state.warned and targets.warn_before_minutes > 0:
            out.append((state.resolution_due_at - warn, WARN_RESOLUTION))
        if "resolution" not in state.breached:
            out.append((state.resolution_due_at, BREACH_RESOLUTION))
    if (
        targets.reassign_after_minutes is not None
        and state.has_assignee
        and state.assigned_at is not None
        and state.first_response_at is None
        and (state.escalated_at is None or state.escalated_at < state.assigned_at)
    ):
        at = add_business_minutes(targets.hours, state.assigned_at, targets.reassign_after_minutes)
        out.append((at, REASSIGN))
    return sorted(out)


def next_check(state: TimerState, targets: SlaTargets) -> datetime | None:
    """When the periodic task must look at this timer next (None: never)."""
    pending = checks(state, targets)
    return pending[0][0] if pending else None


def due(state: TimerState, targets: SlaTargets, now: datetime) -> list[str]:
    """The checks that are due at ``now``; a breach makes its warning moot."""
    kinds = [kind for at, kind in checks(state, targets) if at <= now]
    if BREACH_FIRST in kinds and WARN_FIRST in kinds:
        kinds.remove(WARN_FIRST)
    if BREACH_RESOLUTION in kinds and WARN_RESOLUTION in kinds:
        kinds.remove(WARN_RESOLUTION)
    return kinds


def percentile(values: list[float], fraction: float) -> float | None:
    """The ``fraction`` percentile by linear interpolation (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
