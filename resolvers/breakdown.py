"""One metric split by a dimension, largest first, with each row's share of the total."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.calendar import DayRange
from core.vocabulary import Dimension, Metric
from loaders.dataloaders import Loaders
from loaders.facts import EMPTY_TRAFFIC, TenantRow
from resolvers.inputs import check_dimension
from resolvers.measures import NEEDS_BOOKINGS, NEEDS_MONEY, NEEDS_TRAFFIC, BookingSums, traffic_measures, value_of
from resolvers.sources import bookings_by, traffic_by

UNKNOWN_COUNTRY = "unknown"


@dataclass(frozen=True)
class Row:
    key: str
    value: float | None
    share: float | None


def dimension_key(dimension: Dimension, raw: object) -> str:
    if dimension is Dimension.LOGIN_STATUS:
        return "logged_in" if raw in (True, 1, "1") else "logged_out"
    if raw is None:
        return UNKNOWN_COUNTRY
    return str(raw)


def ranked(values: dict[str, float | None]) -> list[Row]:
    """Largest value first (ties by key), nulls last; share = value / sum of values."""
    # fsum: the correctly rounded total whatever the order, so every process (whose set order
    # depends on its hash seed) gives the same shares to the last digit
    total = math.fsum(v for v in values.values() if v is not None)
    order = sorted(values.items(), key=lambda item: (item[1] is None, -(item[1] or 0), item[0]))
    return [
        Row(key, value, None if value is None or total == 0 else value / total) for key, value in order
    ]


async def breakdown(
    loaders: Loaders, tenant: TenantRow, metric: Metric, by: Dimension, days: DayRange, currency: str
) -> list[Row]:
    check_dimension(metric, by)
    traffic, bookings = {}, {}
    if metric in NEEDS_TRAFFIC:
        by_key = await traffic_by(loaders, tenant.id, days, by, *traffic_measures(metric))
        traffic = {dimension_key(by, raw): stats for raw, stats in by_key.items()}
    if metric in NEEDS_BOOKINGS:
        bookings = await bookings_by(
            loaders, tenant.id, days, currency, lambda row: row.channel, by_channel=True, money=metric in NEEDS_MONEY
        )
    keys = set(traffic) | set(bookings)
    return ranked(
        {
            key: value_of(metric, traffic.get(key, EMPTY_TRAFFIC), bookings.get(key, BookingSums()))
            for key in keys
        }
    )
