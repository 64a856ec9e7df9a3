"""Which periods a forecast learns from and which it predicts (metrics.md, Forecasts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.calendar import ONE_DAY, DayRange, next_period, period_of
from core.errors import BadUserInput
from core.vocabulary import Granularity

# At most 90 days, 26 weeks, 24 months, 8 quarters or 3 years ahead: beyond that the intervals
# say little more than "anything can happen", and the fit is cached for the longest horizon.
HORIZON_LIMIT = {
    Granularity.DAY: 90,
    Granularity.WEEK: 26,
    Granularity.MONTH: 24,
    Granularity.QUARTER: 8,
    Granularity.YEAR: 3,
}


def check_horizon(horizon: int, granularity: Granularity) -> None:
    limit = HORIZON_LIMIT[granularity]
    if not 1 <= horizon <= limit:
        raise BadUserInput(
            f"horizon must be between 1 and {limit} for granularity {granularity.value} (got {horizon})", "horizon"
        )


@dataclass(frozen=True)
class Window:
    """`days`: the whole periods from the first data day to the end day (None when there are
    none); `next_start`: the first day of the first period after the last whole one."""

    days: DayRange | None
    next_start: date


def history_window(span: tuple[date, date] | None, granularity: Granularity, today: date) -> Window:
    """End day = the earlier of yesterday (UTC) and dataRange.to; a period counts when its last
    day is on or before it. A tenant without data still gets where its forecast would start."""
    end = today - ONE_DAY if span is None else min(today - ONE_DAY, span[1])
    current = period_of(end, granularity)
    following = next_period(current, granularity)
    if following - ONE_DAY == end:  # the end day closes its period
        last_day, next_start = end, following
    else:
        last_day, next_start = current - ONE_DAY, current
    if span is None or span[0] > last_day:
        return Window(None, next_start)
    return Window(DayRange(span[0], last_day), next_start)


def future_starts(first: date, granularity: Granularity, horizon: int) -> list[date]:
    starts = [first]
    while len(starts) < horizon:
        starts.append(next_period(starts[-1], granularity))
    return starts
