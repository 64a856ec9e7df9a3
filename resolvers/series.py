"""One metric over time: a point per period overlapping the range, none missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.calendar import DayRange, clipped_start, clipped_starts, period_starts
from core.vocabulary import Granularity, Metric
from loaders.dataloaders import Loaders
from loaders.facts import EMPTY_TRAFFIC, TenantRow
from loaders.periods import as_date
from resolvers.measures import (
    NEEDS_BOOKINGS,
    NEEDS_MONEY,
    NEEDS_SURVEYS,
    NEEDS_TRAFFIC,
    BookingSums,
    SurveySums,
    traffic_measures,
    value_of,
)
from resolvers.sources import bookings_by_day, surveys_by, traffic_by


@dataclass(frozen=True)
class Point:
    start: date
    value: float | None


async def series(
    loaders: Loaders, tenant: TenantRow, metric: Metric, days: DayRange, granularity: Granularity, currency: str
) -> list[Point]:
    starts = clipped_starts(days, granularity)  # shared by a portfolio's tenants

    def start_of(day: date) -> date:  # traffic keys are period starts, maybe before the range
        start = starts.get(day)
        return start if start is not None else clipped_start(day, granularity, days)

    traffic, bookings, surveys = {}, {}, {}
    if metric in NEEDS_TRAFFIC:
        by_period = await traffic_by(loaders, tenant.id, days, granularity, *traffic_measures(metric))
        traffic = {start_of(as_date(period)): stats for period, stats in by_period.items()}
    if metric in NEEDS_BOOKINGS:
        bookings = await bookings_by_day(loaders, tenant.id, days, currency, start_of, money=metric in NEEDS_MONEY)
    if metric in NEEDS_SURVEYS:
        surveys = await surveys_by(loaders, tenant.id, days, lambda row: start_of(row.day))
    return [
        Point(
            start,
            value_of(
                metric,
                traffic.get(start, EMPTY_TRAFFIC),
                bookings.get(start, BookingSums()),
                surveys.get(start, SurveySums()),
            ),
        )
        for start in period_starts(days, granularity)
    ]
