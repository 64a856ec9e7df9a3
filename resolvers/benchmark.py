"""Tenant.benchmark: where a tenant stands among its segment's peers, k-anonymously.

Peer ids are read to batch the loads and never leave this module: `Standing` holds the
tenant's own value and aggregates over at least k peers, nothing else. docs/intelligence.md
states what that does and does not protect against.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from core.calendar import DayRange, next_period, utc_today
from core.errors import BadUserInput, InsufficientPeers
from core.vocabulary import Granularity, Metric
from loaders.dataloaders import Loaders
from loaders.facts import EMPTY_TRAFFIC, TenantRow
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
from resolvers.sources import bookings_total, surveys_total, traffic_total


@dataclass(frozen=True)
class Standing:
    metric: Metric
    value: float | None
    peer_group: str
    peer_count: int
    percentile: float
    p25: float
    median: float
    p75: float


def check_closed_months(days: DayRange, today: date) -> None:
    """Benchmarks cover whole calendar months that have ended (the differencing defence)."""
    last_of_month = next_period(days.end.replace(day=1), Granularity.MONTH) - timedelta(days=1)
    if days.start.day != 1 or days.end != last_of_month:
        raise BadUserInput(
            "benchmark ranges must be whole calendar months: `from` on a 1st, `to` on a month's last day", "range"
        )
    if days.end >= today.replace(day=1):
        raise BadUserInput("benchmark ranges must end before the current (UTC) month", "range")


def percentile_of(value: float, peers: Sequence[float]) -> float:
    """100 * (peers strictly lower + 0.5 * peers equal) / peers."""
    lower = sum(1 for x in peers if x < value)
    equal = sum(1 for x in peers if x == value)
    return 100 * (lower + 0.5 * equal) / len(peers)


def quantile(sorted_values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks: position (n - 1) * p of the sorted values."""
    position = (len(sorted_values) - 1) * p
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (position - low) * (sorted_values[high] - sorted_values[low])


async def metric_value(loaders: Loaders, tenant_id: str, metric: Metric, days: DayRange, currency: str) -> float | None:
    """The metric over the range for one tenant; gathered over peers, each load is one batch."""
    traffic = EMPTY_TRAFFIC
    if metric in NEEDS_TRAFFIC:
        traffic = await traffic_total(loaders, tenant_id, days, *traffic_measures(metric))
    bookings = (
        await bookings_total(loaders, tenant_id, days, currency, money=metric in NEEDS_MONEY)
        if metric in NEEDS_BOOKINGS
        else BookingSums()
    )
    surveys = await surveys_total(loaders, tenant_id, days) if metric in NEEDS_SURVEYS else SurveySums()
    return value_of(metric, traffic, bookings, surveys)


async def benchmark(
    loaders: Loaders,
    tenant: TenantRow,
    metric: Metric,
    days: DayRange,
    currency: str,
    min_peers: int,
    can_read: Callable[[str], bool],
) -> Standing:
    check_closed_months(days, utc_today())
    others = [t for t in await loaders.segment_members.load(tenant.segment) if t != tenant.id]
    active = await loaders.active.load_many([(t, days) for t in others])
    candidates = [t for t, has_data in zip(others, active) if has_data]
    # one gather: the tenant's and every candidate's loads land in the same batches
    own, *values = await asyncio.gather(
        *(metric_value(loaders, t, metric, days, currency) for t in [tenant.id, *candidates])
    )
    if own is None:  # checked before the peers, so this answer says nothing about them
        raise BadUserInput(
            f"this tenant has no {metric.value} value in the range (no denominator), so it has no standing", "range"
        )
    peers = [(t, v) for t, v in zip(candidates, values) if v is not None]
    # k counts only peers this credential cannot read itself: peers it can read are known to
    # the caller and would otherwise let it subtract its way to the remaining ones
    if sum(1 for t, _ in peers if not can_read(t)) < max(3, min_peers):
        raise InsufficientPeers(max(3, min_peers))
    ordered = sorted(v for _, v in peers)
    return Standing(
        metric=metric,
        value=own,
        peer_group=tenant.segment,
        peer_count=len(ordered),
        percentile=percentile_of(own, ordered),
        p25=quantile(ordered, 0.25),
        median=quantile(ordered, 0.5),
        p75=quantile(ordered, 0.75),
    )
