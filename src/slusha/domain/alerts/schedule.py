"""Wall-clock time windows in an IANA time zone: quiet hours and digest schedules.

Everything is computed on local wall-clock time through ``zoneinfo``, so a window from 22:00 to
07:00 stays 22:00 to 07:00 on the night the clocks change (it then lasts 8 or 10 hours).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slusha.errors import InputError

ALL_WEEKDAYS: frozenset[int] = frozenset(range(7))
DigestEvery = Literal["hourly", "daily", "weekly"]
DIGEST_PERIODS: tuple[str, ...] = ("hourly", "daily", "weekly")


def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name, or an ``InputError`` that says what is expected."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown time zone {name!r} (expected an IANA name such as Europe/Skopje or UTC)"
        ) from None


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return when


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The instant the wall clock in ``tz`` shows ``clock`` on ``day``.

    A wall time skipped by a spring-forward change reads as if the clocks had not moved yet
    (02:30 becomes 03:30, PEP 495 fold=0), and a repeated one as its first occurrence.
    """
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily stretch of local time when a rule delivers nothing (alerts are held)."""

    start: time
    end: time
    timezone: str = "UTC"
    weekdays: frozenset[int] = ALL_WEEKDAYS

    def __post_init__(self) -> None:
        zone(self.timezone)
        if self.start == self.end:
            raise InputError("quiet hours must not start and end at the same time")
        if not self.weekdays or not self.weekdays <= ALL_WEEKDAYS:
            raise InputError("quiet hours weekdays must be numbers 0 (Monday) to 6 (Sunday)")

    @property
    def is_overnight(self) -> bool:
        """True when the window crosses midnight (22:00 to 07:00)."""
        return self.end < self.start

    def _period_containing(self, when: datetime) -> tuple[datetime, datetime] | None:
        tz = zone(self.timezone)
        local_day = _aware(when).astimezone(tz).date()
        # A period starts on its own weekday; an overnight one may have started yesterday.
        for start_day in (local_day, local_day - timedelta(days=1)):
            if start_day.weekday() not in self.weekdays:
                continue
            begin = _at(start_day, self.start, tz)
            end_day = start_day + timedelta(days=1) if self.is_overnight else start_day
            finish = _at(end_day, self.end, tz)
            if begin <= when < finish:
                return begin, finish
        return None

    def contains(self, when: datetime) -> bool:
        """Whether ``when`` falls inside quiet hours."""
        return self._period_containing(when) is not None

    def ends_at(self, when: datetime) -> datetime | None:
        """The end of the quiet period that contains ``when`` (None when not quiet)."""
        period = self._period_containing(when)
        return period[1] if period else None

    def to_dict(self) -> dict[str, object]:
        """The window as JSON."""
        return {
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "timezone": self.timezone,
            "weekdays": sorted(self.weekdays),
        }


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """When a digest goes out: hourly at minute ``at.minute``, daily at ``at``, weekly too."""

    every: DigestEvery = "daily"
    at: time = time(8, 0)
    weekday: int = 0
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        zone(self.timezone)
        if self.every not in DIGEST_PERIODS:
            raise InputError(f"digest 'every' must be one of {', '.join(DIGEST_PERIODS)}")
        if self.weekday not in ALL_WEEKDAYS:
            raise InputError("digest weekday must be 0 (Monday) to 6 (Sunday)")

    def next_run(self, after: datetime) -> datetime:
        """The first scheduled instant strictly after ``after``."""
        tz = zone(self.timezone)
        local = _aware(after).astimezone(tz)
        if self.every == "hourly":
            # Hourly runs step in absolute (UTC) hours, so the repeated hour of a fall-back
            # night gets its digest too; aware + timedelta on a local time would not.
            candidate = local.replace(minute=self.at.minute, second=0, microsecond=0)
            candidate = candidate.astimezone(UTC)
            while candidate <= after:
                candidate += timedelta(hours=1)
            return candidate
        day = local.date()
        for offset in range(0, 9):
            candidate_day = day + timedelta(days=offset)
            if self.every == "weekly" and candidate_day.weekday() != self.weekday:
                continue
            candidate = _at(candidate_day, self.at, tz)
            if candidate > after:
                return candidate
        raise AssertionError("unreachable: a weekly schedule repeats within 8 days")

    def previous_run(self, at_or_before: datetime) -> datetime:
        """The last scheduled instant at or before ``at_or_before``."""
        step = {"hourly": 2, "daily": 26, "weekly": 7 * 24 + 2}[self.every]
        probe = self.next_run(at_or_before - timedelta(hours=step))
        previous = probe
        while probe <= at_or_before:
            previous = probe
            probe = self.next_run(probe)
        return previous

    def to_dict(self) -> dict[str, object]:
        """The schedule as JSON."""
        return {
            "every": self.every,
            "at": self.at.strftime("%H:%M"),
            "weekday": self.weekday,
            "timezone": self.timezone,
        }


def parse_clock(value: object, *, key: str) -> time:
    """``HH:MM`` as a ``time``; anything else is an ``InputError`` naming ``key``."""
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            parsed = time.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return parsed.replace(tzinfo=None)
    raise InputError(f"'{key}' must be a time of day like 07:30, got {value!r}")
