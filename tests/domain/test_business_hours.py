"""Business-hours arithmetic: weekends, holidays, several windows a day, and DST in Skopje."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from slusha.domain.business_hours import (
    BusinessHours,
    add_business_minutes,
    business_seconds,
    is_open,
    parse_duration_minutes,
    parse_windows,
)
from slusha.errors import InputError

SKOPJE = ZoneInfo("Europe/Skopje")
OFFICE = BusinessHours.parse("mon-fri 09:00-17:00", timezone="Europe/Skopje")
HOUR = 3600.0


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SKOPJE)  # type: ignore[misc]


def test_parse_windows_and_describe() -> None:
    windows = parse_windows("mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00")
    assert windows[0] == ((540, 720), (780, 1020)) and windows[5] == ((600, 840),)
    assert 6 not in windows
    assert parse_windows("fri-mon 22:00-24:00")[6] == ((1320, 1440),)  # wraps over the week
    hours = BusinessHours.parse("mon-fri 09:00-17:00; sat 10:00-14:00", timezone="UTC")
    assert hours.describe() == (
        "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00; "
        "sat 10:00-14:00"
    )
    assert BusinessHours.parse("24/7").describe() == "24/7"


@pytest.mark.parametrize(
    "spec", ["mon-fri", "mon-fri 9-17", "xyz 09:00-10:00", "mon 17:00-09:00", "mon 09:00-25:00"]
)
def test_wrong_hours_say_what_is_expected(spec: str) -> None:
    with pytest.raises(InputError):
        BusinessHours.parse(spec)


def test_unknown_time_zone_is_an_input_error() -> None:
    with pytest.raises(InputError, match="IANA"):
        BusinessHours.parse("24/7", timezone="Mars/Olympus")


def test_within_one_day_and_outside_hours() -> None:
    # Wednesday 2026-11-25
    assert business_seconds(OFFICE, local(2026, 11, 25, 10), local(2026, 11, 25, 12)) == 2 * HOUR
    assert business_seconds(OFFICE, local(2026, 11, 25, 7), local(2026, 11, 25, 8)) == 0
    assert business_seconds(OFFICE, local(2026, 11, 25, 16), local(2026, 11, 25, 20)) == HOUR
    assert business_seconds(OFFICE, local(2026, 11, 25, 12), local(2026, 11, 25, 10)) == 0
    assert is_open(OFFICE, local(2026, 11, 25, 9)) and not is_open(OFFICE, local(2026, 11, 25, 17))


def test_across_a_weekend() -> None:
    friday_4pm = local(2026, 11, 27, 16)
    assert business_seconds(OFFICE, friday_4pm, local(2026, 11, 30, 10)) == 2 * HOUR
    assert add_business_minutes(OFFICE, friday_4pm, 120) == local(2026, 11, 30, 10)
    # Arriving on Saturday: the clock starts on Monday at 09:00.
    assert add_business_minutes(OFFICE, local(2026, 11, 28, 11), 30) == local(2026, 11, 30, 9, 30)
    # A whole week of business hours is 40 hours.
    assert business_seconds(OFFICE, local(2026, 11, 23), local(2026, 11, 30)) == 40 * HOUR


def test_holidays_are_skipped() -> None:
    with_holiday = BusinessHours.parse(
        "mon-fri 09:00-17:00", timezone="Europe/Skopje", holidays=[date(2026, 11, 30)]
    )
    friday_4pm = local(2026, 11, 27, 16)
    assert add_business_minutes(with_holiday, friday_4pm, 120) == local(2026, 12, 1, 10)
    assert business_seconds(with_holiday, friday_4pm, local(2026, 12, 1, 10)) == 2 * HOUR
    assert business_seconds(with_holiday, local(2026, 11, 30, 9), local(2026, 11, 30, 17)) == 0


def test_deadline_and_duration_agree() -> None:
    start = local(2026, 11, 26, 15, 17)
    for minutes in (1, 43, 480, 481, 2000, 9999):
        deadline = add_business_minutes(OFFICE, start, minutes)
        assert business_seconds(OFFICE, start, deadline) == pytest.approx(minutes * 60)


def test_dst_ends_last_sunday_of_october_in_skopje() -> None:
    # 2026-10-25: 03:00 CEST becomes 02:00 CET; that Sunday has 25 hours.
    always = BusinessHours.parse("24/7", timezone="Europe/Skopje")
    saturday_noon, sunday_noon = local(2026, 10, 24, 12), local(2026, 10, 25, 12)
    assert business_seconds(always, saturday_noon, sunday_noon) == 25 * HOUR
    night = BusinessHours.parse("sun 00:00-04:00", timezone="Europe/Skopje")
    assert business_seconds(night, local(2026, 10, 24), local(2026, 10, 26)) == 5 * HOUR
    sunday_shift = BusinessHours.parse("sun 00:00-24:00", timezone="Europe/Skopje")
    assert business_seconds(sunday_shift, local(2026, 10, 24), local(2026, 10, 27)) == 25 * HOUR
    # Office hours keep 09:00 local: Friday 16:00 CEST + 2h -> Monday 10:00 CET.
    deadline = add_business_minutes(OFFICE, local(2026, 10, 23, 16), 120)
    assert deadline == local(2026, 10, 26, 10)
    assert deadline.astimezone(UTC) == datetime(2026, 10, 26, 9, tzinfo=UTC)


def test_dst_starts_last_sunday_of_march_in_skopje() -> None:
    # 2027-03-28: 02:00 CET becomes 03:00 CEST; that Sunday has 23 hours.
    always = BusinessHours.parse("24/7", timezone="Europe/Skopje")
    assert business_seconds(always, local(2027, 3, 27, 12), local(2027, 3, 28, 12)) == 23 * HOUR
    night = BusinessHours.parse("sun 00:00-04:00", timezone="Europe/Skopje")
    assert business_seconds(night, local(2027, 3, 27), local(2027, 3, 29)) == 3 * HOUR
    deadline = add_business_minutes(OFFICE, local(2027, 3, 26, 16), 120)
    assert deadline == local(2027, 3, 29, 10)
    assert deadline.astimezone(UTC) == datetime(2027, 3, 29, 8, tzinfo=UTC)
    # Through the missing hour: an hour of real time later, the wall clock shows 03:30.
    start = local(2027, 3, 28, 1, 30)
    deadline = add_business_minutes(always, start, 60)
    assert deadline == start.astimezone(UTC) + timedelta(hours=1)
    assert (deadline.astimezone(SKOPJE).hour, deadline.astimezone(SKOPJE).minute) == (3, 30)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        business_seconds(OFFICE, datetime(2026, 1, 1), datetime(2026, 1, 2))


@pytest.mark.parametrize(
    ("text", "minutes"), [("30m", 30), ("8h", 480), ("2d", 2880), ("1h30m", 90), ("45", 45)]
)
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration_minutes(text) == minutes


def test_wrong_duration() -> None:
    with pytest.raises(InputError, match="30m"):
        parse_duration_minutes("half an hour")
