"""Business hours in a team's time zone: business seconds between instants, deadlines.

Windows are local wall-clock times (``mon-fri 09:00-17:00``), so 09:00 stays 09:00 on the days
the clocks change; a window that spans the change lasts an hour more or less in real time.
Durations are real elapsed seconds inside the windows, never wall-clock differences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slusha.errors import InputError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "24/7"
MAX_DAYS = 3700  # a deadline further than ~10 years means the windows are empty in practice
_PART = re.compile(r"^\s*([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(.+?)\s*$")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")

Window = tuple[int, int]  # minutes after local midnight, end exclusive, up to 1440


def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name, or an ``InputError`` saying what is expected."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown time zone {name!r} (expected an IANA name such as Europe/Skopje or UTC)"
        ) from None


def _minutes(hours: str, minutes: str, spec: str) -> int:
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 1440:
        raise InputError(f"business hours {spec!r}: {hours}:{minutes} is not a time of day")
    return value


def parse_windows(spec: str) -> dict[int, tuple[Window, ...]]:
    """``mon-fri 09:00-17:00; sat 10:00-14:00`` (or ``24/7``) -> windows per weekday (0 = Mon)."""
    text = spec.strip().lower()
    if text in (ALWAYS, "always", ""):
        return {day: ((0, 1440),) for day in range(7)}
    days: dict[int, list[Window]] = {}
    for part in re.split(r"[;\n]", text):
        if not part.strip():
            continue
        match = _PART.match(part)
        if not match or match.group(1) not in DAY_NAMES:
            raise InputError(
                f"business hours {spec!r}: cannot read {part.strip()!r} "
                "(expected e.g. 'mon-fri 09:00-17:00; sat 10:00-14:00' or '24/7')"
            )
        first = DAY_NAMES.index(match.group(1))
        last_name = match.group(2) or match.group(1)
        if last_name not in DAY_NAMES:
            raise InputError(f"business hours {spec!r}: unknown day {last_name!r}")
        last = DAY_NAMES.index(last_name)
        span = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        for chunk in match.group(3).split(","):
            found = _RANGE.match(chunk.strip())
            if not found:
                raise InputError(f"business hours {spec!r}: cannot read the range {chunk!r}")
            start = _minutes(found.group(1), found.group(2), spec)
            end = _minutes(found.group(3), found.group(4), spec)
            if end <= start:
                raise InputError(f"business hours {spec!r}: {chunk.strip()} ends before it starts")
            for day in span:
                days.setdefault(day, []).append((start, end))
    return {day: _merged(windows) for day, windows in days.items()}


def _merged(windows: Iterable[Window]) -> tuple[Window, ...]:
    out: list[Window] = []
    for start, end in sorted(windows):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Weekly windows in one IANA time zone, minus holidays (local dates)."""

    timezone: str = "UTC"
    windows: dict[int, tuple[Window, ...]] = field(
        default_factory=lambda: {day: ((0, 1440),) for day in range(7)}
    )
    holidays: frozenset[date] = frozenset()

    @classmethod
    def parse(
        cls, spec: str = ALWAYS, *, timezone: str = "UTC", holidays: Iterable[date] = ()
    ) -> BusinessHours:
        """Business hours from their text form (see ``parse_windows``)."""
        zone(timezone)
        windows = parse_windows(spec)
        if not any(windows.values()):
            raise InputError(f"business hours {spec!r} contain no time at all")
        return cls(timezone=timezone, windows=windows, holidays=frozenset(holidays))

    @property
    def is_always(self) -> bool:
        """True for 24/7 without holidays (plain arithmetic applies)."""
        return not self.holidays and all(self.windows.get(day) == ((0, 1440),) for day in range(7))

    def describe(self) -> str:
        """The windows in their text form (``mon-fri 09:00-17:00``)."""
        if all(self.windows.get(day) == ((0, 1440),) for day in range(7)):
            return ALWAYS
        parts = []
        for day in range(7):
            windows = self.windows.get(day, ())
            if windows:
                ranges = ",".join(f"{_hhmm(s)}-{_hhmm(e)}" for s, e in windows)
                parts.append(f"{DAY_NAMES[day]} {ranges}")
        return "; ".join(parts)

    def spans(self, first: date, last: date) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals in UTC, day by day from ``first`` to ``last`` (local dates)."""
        tz = zone(self.timezone)
        day = first
        while day <= last:
            if day not in self.holidays:
                midnight = datetime.combine(day, time(0), tzinfo=tz)
                for start, end in self.windows.get(day.weekday(), ()):
                    # Wall-clock arithmetic, then UTC: 09:00 is 09:00 on both sides of a change.
                    begins = (midnight + timedelta(minutes=start)).astimezone(UTC)
                    ends = _local_end(day, end, tz)
                    if ends > begins:
                        yield begins, ends
            day += timedelta(days=1)


def _local_end(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    if minutes >= 1440:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return (datetime.combine(day, time(0), tzinfo=tz) + timedelta(minutes=minutes)).astimezone(UTC)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return when.astimezone(UTC)


def business_seconds(hours: BusinessHours, start: datetime, end: datetime) -> float:
    """Seconds inside business hours between two instants (0 when ``end`` is not later)."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        return 0.0
    if hours.is_always:
        return (end - start).total_seconds()
    tz = zone(hours.timezone)
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    total = 0.0
    for begins, ends in hours.spans(first, last):
        overlap = (min(ends, end) - max(begins, start)).total_seconds()
        if overlap > 0:
            total += overlap
    return total


def add_business_seconds(hours: BusinessHours, start: datetime, seconds: float) -> datetime:
    """The instant ``seconds`` of business time after ``start`` (a deadline)."""
    start = _aware(start)
    if seconds <= 0:
        return start
    if hours.is_always:
        return start + timedelta(seconds=seconds)
    tz = zone(hours.timezone)
    first = start.astimezone(tz).date() - timedelta(days=1)
    remaining = float(seconds)
    for begins, ends in hours.spans(first, first + timedelta(days=MAX_DAYS)):
        if ends <= start:
            continue
        begins = max(begins, start)
        available = (ends - begins).total_seconds()
        if remaining <= available:
            return begins + timedelta(seconds=remaining)
        remaining -= available
    raise InputError("the business hours leave no time for this deadline")


def add_business_minutes(hours: BusinessHours, start: datetime, minutes: float) -> datetime:
    """Deadline = ``start`` + ``minutes`` business minutes."""
    return add_business_seconds(hours, start, minutes * 60)


def is_open(hours: BusinessHours, when: datetime) -> bool:
    """True when ``when`` falls inside business hours."""
    when = _aware(when)
    return business_seconds(hours, when, when + timedelta(seconds=1)) > 0


def parse_duration_minutes(value: str) -> int:
    """``30m``, ``8h``, ``2d``, ``1h30m`` or plain minutes -> minutes."""
    text = value.strip().lower().replace(" ", "")
    if text.isdigit():
        return int(text)
    parts = re.findall(r"(\d+)([dhm])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise InputError(f"cannot read the duration {value!r} (use e.g. 30m, 8h, 2d or 1h30m)")
    factor = {"d": 1440, "h": 60, "m": 1}
    return sum(int(n) * factor[u] for n, u in parts)
