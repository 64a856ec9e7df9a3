"""Calendar periods (ISO weeks start on Monday), clipped to a range."""

from __future__ import annotations

from datetime import date, timedelta

from loaders.keys import DayRange, Granularity


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


def clipped_start(day: date, granularity: Granularity, days: DayRange) -> date:
    """The `start` of the series point that holds `day`: its period's first day inside the range."""
    return max(period_of(day, granularity), days.start)


def period_starts(days: DayRange, granularity: Granularity) -> list[date]:
    starts = []
    day = days.start
    while day <= days.end:
        starts.append(day)
        day = next_period(period_of(day, granularity), granularity)
    return starts


def next_period(start: date, granularity: Granularity) -> date:
    if granularity is Granularity.DAY:
        return start + timedelta(days=1)
    if granularity is Granularity.WEEK:
        return start + timedelta(days=7)
    months = {Granularity.MONTH: 1, Granularity.QUARTER: 3, Granularity.YEAR: 12}[granularity]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
