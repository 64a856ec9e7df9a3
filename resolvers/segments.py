"""The funnel per segment, first/last-touch attribution and retention cohorts (metrics.md)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.errors import BadUserInput
from loaders.dataloaders import Loaders
from loaders.facts import BookingDay, TenantRow
from core.calendar import DayRange
from core.vocabulary import AttributionModel, Dimension, Granularity
from resolvers.funnel import Step, steps_of
from resolvers.measures import ratio
from resolvers.money import MissingRate, revenue
from core.calendar import next_period, period_of, period_starts
from resolvers.sources import check_retained, fx_table

# A lookback longer than two years credits touches no marketing report would: refused
MAX_LOOKBACK_DAYS = 730


@dataclass(frozen=True)
class Segment:
    key: str
    steps: list[Step]


@dataclass(frozen=True)
class Credit:
    key: str
    bookings: int
    revenue: Decimal
    share: float | None


@dataclass(frozen=True)
class Cohort:
    start: date
    customers: int
    returning: list[float]


async def funnel_by(loaders: Loaders, tenant_id: str, days: DayRange, by: Dimension) -> list[Segment]:
    """Segments with the most landing sessions first (then by key)."""
    await check_retained(loaders, tenant_id, days.start)
    segments = await loaders.analytics.funnel_by.load((tenant_id, days, by))
    order = sorted(segments.items(), key=lambda item: (-item[1][0], item[0]))
    return [Segment(key, steps_of(sessions)) for key, sessions in order]


def check_lookback(days: int) -> int:
    if not 0 <= days <= MAX_LOOKBACK_DAYS:
        raise BadUserInput(f"lookbackDays must be between 0 and {MAX_LOOKBACK_DAYS}, not {days}", "lookbackDays")
    return days


async def attribution(
    loaders: Loaders,
    tenant: TenantRow,
    model: AttributionModel,
    by: Dimension,
    days: DayRange,
    lookback_days: int,
    currency: str,
) -> list[Credit]:
    """Rows by bookings (then revenue, then key), largest first; revenue rounded per row."""
    lookback = check_lookback(lookback_days)
    await check_retained(loaders, tenant.id, days.start - timedelta(days=lookback))
    rows = await loaders.analytics.attribution.load((tenant.id, days, by, model, lookback))
    fx = await fx_table(loaders)
    groups: dict[str, list[BookingDay]] = defaultdict(list)
    for row in rows:
        groups[row.channel or ""].append(row)
    total = sum(row.confirmed for row in rows)
    try:
        credits = [
            Credit(key, sum(r.confirmed for r in members), revenue(members, currency, fx), 0.0)
            for key, members in groups.items()
        ]
    except MissingRate as error:
        raise RuntimeError(f"tenant {tenant.id}: {error}") from error
    credits.sort(key=lambda c: (-c.bookings, -c.revenue, c.key))
    return [Credit(c.key, c.bookings, c.revenue, ratio(c.bookings, total)) for c in credits]


async def retention(loaders: Loaders, tenant_id: str, days: DayRange, granularity: Granularity) -> list[Cohort]:
    """One cohort per period overlapping the range; shares per following period up to its end.

    A following period counts only its days inside the range (as series points do), so no
    booking after `range.to` is read. An empty cohort has shares 0 (the contract's list
    holds no nulls); `customers` = 0 tells it apart.
    """
    visits = await loaders.analytics.retention.load((tenant_id, days, granularity))
    members: dict[date, set[str]] = defaultdict(set)
    seen: dict[tuple[date, date], set[str]] = defaultdict(set)
    for visit in visits:
        members[visit.cohort].add(visit.customer_id)
        seen[(visit.cohort, visit.period)].add(visit.customer_id)
    cohorts = []
    for start in period_starts(days, granularity):
        whole = period_of(start, granularity)
        size = len(members.get(whole, ()))
        returning = []
        following = next_period(whole, granularity)
        while following <= days.end:
            returning.append(0.0 if size == 0 else len(seen.get((whole, following), ())) / size)
            following = next_period(following, granularity)
        cohorts.append(Cohort(start, size, returning))
    return cohorts
