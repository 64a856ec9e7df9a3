"""UTC day ranges and calendar periods (ISO weeks start on Monday): the one implementation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType

from core.vocabulary import Granularity

ONE_DAY = timedelta(days=1)
# Input ranges must lie within these days: far beyond any data, and it keeps period arithmetic
# (whole years, the previous period, the history before a range) inside Python's years 1..9999.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)
MONTHS = {Granularity.MONTH: 1, Granularity.QUARTER: 3, Granularity.YEAR: 12}


@dataclass(frozen=True, order=True)
class DayRange:
    """UTC days start..end, both inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> DayRange:
        """The equally long range ending the day before this one starts."""
        end = self.start - ONE_DAY
        return DayRange(end - timedelta(days=self.days - 1), end)

    def bounds(self) -> tuple[datetime, datetime]:
        """start 00:00 <= ts < (end + 1 day) 00:00."""
        return datetime.combine(self.start, time()), datetime.combine(self.end + ONE_DAY, time())

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def utc_today() -> date:
    """Today in UTC; a function so tests can move the clock."""
    return datetime.now(UTC).date()


@lru_cache(maxsize=16_384)  # series group thousands of rows of the same few hundred days
def period_of(day: date, granularity: Granularity) -> date:
    """First day of the whole period that holds `day`."""
    if granularity is Granularity.DAY:
        return day
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity is Granularity.MONTH:
        return day.replace(day=1)
    if granularity is Granularity.QUARTER:
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def shift(start: date, granularity: Granularity, periods: int) -> date:
    """`start` (a period's first day) moved by `periods` periods; OverflowError past the calendar."""
    if granularity is Granularity.DAY:
        return start + timedelta(days=periods)
    if granularity is Granularity.WEEK:
        return start + timedelta(days=7 * periods)
    index = start.year * 12 + start.month - 1 + MONTHS[granularity] * periods
    if not 12 <= index < 12 * 10_000:
        raise OverflowError("date value out of range")
    return date(index // 12, index % 12 + 1, 1)


def next_period(start: date, granularity: Granularity) -> date:
    """First day of the period after the one starting on `start`."""
    return shift(start, granularity, 1)


def period_end(start: date, granularity: Granularity) -> date:
    """Last day of the period starting on `start`."""
    return next_period(start, granularity) - ONE_DAY


def first_period_on_or_after(day: date, granularity: Granularity) -> date:
    start = period_of(day, granularity)
    return start if start == day else next_period(start, granularity)


def clipped_start(day: date, granularity: Granularity, days: DayRange) -> date:
    """The `start` of the series point that holds `day`: its period's first day inside the range."""
    return max(period_of(day, granularity), days.start)


@lru_cache(maxsize=16)  # a portfolio's tenants share their ranges: one map per range and granularity
def clipped_starts(days: DayRange, granularity: Granularity) -> Mapping[date, date]:
    """clipped_start of every day of the range (read-only)."""
    out = {}
    day = days.start
    while day <= days.end:
        out[day] = clipped_start(day, granularity, days)
        if day == LATEST_DAY:
            break
        day += ONE_DAY
    return MappingProxyType(out)


def period_starts(days: DayRange, granularity: Granularity) -> list[date]:
    """The clipped start of every period overlapping the range."""
    starts = []
    day = days.start
    while day <= days.end:
        starts.append(day)
        try:
            day = next_period(period_of(day, granularity), granularity)
        except (OverflowError, ValueError):  # the range ends in the calendar's last period
            break
    return starts
