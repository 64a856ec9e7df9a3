"""The SELECT statements; each serves many tenants at once (`tenant_id IN (...)`)."""

from __future__ import annotations

from collections.abc import Sequence, Set
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)

from core.calendar import DayRange
from core.vocabulary import FUNNEL_STEPS, Dimension, Granularity
from loaders.facts import ALL_MEASURES, TrafficMeasure, TrafficShape, measure_columns
from loaders.periods import period_start
from loaders.segments import UTM_COLUMNS, dimension_label
from loaders.rollup_tables import rollup_surveys, rollup_traffic
from loaders.tables import bookings, fx_rates, pageviews, surveys, tenants

DIMENSION_COLUMNS = {
    Dimension.CHANNEL: pageviews.c.channel,
    Dimension.DEVICE: pageviews.c.device,
    Dimension.COUNTRY: pageviews.c.country,
    Dimension.LOGIN_STATUS: pageviews.c.logged_in,
    # NULL and '' are one value, `(none)`, so they must group together in SQL
    **{utm: dimension_label(utm, pageviews) for utm in UTM_COLUMNS},
}


def _count_distinct(column: Any, when: Any = None) -> Any:
    return func.count(distinct(column if when is None else case((when, column))))


def tenants_query(ids: Sequence[str]) -> Select:
    return select(tenants).where(tenants.c.id.in_(ids))


def traffic_query(
    ids: Sequence[str], days: DayRange, shape: TrafficShape, measures: Set[TrafficMeasure] = ALL_MEASURES
) -> Select:
    """Distinct visitors/sessions and pageviews per tenant, and per period or dimension value:
    only the measures asked for."""
    pv = pageviews.c
    start, end = days.bounds()
    if isinstance(shape, Granularity):
        key: Any = period_start(pv.ts, shape)
    elif isinstance(shape, Dimension):
        key = DIMENSION_COLUMNS[shape]
    else:
        key = literal(None)
    columns = {
        TrafficMeasure.VISITORS: [_count_distinct(pv.visitor_id)],
        TrafficMeasure.SESSIONS: [_count_distinct(pv.session_id)],
        TrafficMeasure.PAGEVIEWS: [func.count()],
        TrafficMeasure.LOGGED_IN: [_count_distinct(pv.visitor_id, pv.logged_in == true())],
        TrafficMeasure.FUNNEL: [_count_distinct(pv.session_id, pv.step == step) for step in FUNNEL_STEPS],
    }
    query = select(pv.tenant_id, key.label("key"), *measure_columns(columns, measures)).where(
        pv.tenant_id.in_(ids), pv.ts >= start, pv.ts < end
    )
    group = [pv.tenant_id] if shape is None else [pv.tenant_id, key]
    return query.group_by(*group)


def bookings_query(ids: Sequence[str], days: DayRange, by_channel: bool) -> Select:
    """Per tenant, UTC day and currency (and channel): counts, room nights, cents and repeats."""
    b = bookings.alias("b")
    e = bookings.alias("e")
    start, end = days.bounds()
    confirmed = b.c.status == "confirmed"
    earlier = exists().where(
        e.c.tenant_id == b.c.tenant_id,
        e.c.customer_id == b.c.customer_id,
        e.c.status == "confirmed",
        e.c.booked_at < b.c.booked_at,
    )
    day = period_start(b.c.booked_at, Granularity.DAY)
    keys = [b.c.tenant_id, day, b.c.currency] + ([b.c.channel] if by_channel else [])
    channel = b.c.channel if by_channel else literal(None)
    return (
        select(
            b.c.tenant_id,
            day.label("day"),
            b.c.currency,
            channel.label("channel"),
            func.sum(case((confirmed, 1), else_=0)),
            func.sum(case((b.c.status == "cancelled", 1), else_=0)),
            func.sum(case((confirmed, b.c.nights * b.c.rooms), else_=0)),
            # whole cents: exact on MySQL's DECIMAL and on SQLite's REAL storage alike
            func.sum(case((confirmed, func.round(b.c.amount * 100)), else_=0)),
            func.sum(case((and_(confirmed, earlier), 1), else_=0)),
        )
        .where(b.c.tenant_id.in_(ids), b.c.booked_at >= start, b.c.booked_at < end)
        .group_by(*keys)
    )


def surveys_query(ids: Sequence[str], days: DayRange) -> Select:
    s = surveys.c
    start, end = days.bounds()
    day = period_start(s.ts, Granularity.DAY)
    return (
        select(
            s.tenant_id,
            day.label("day"),
            func.count(),
            func.sum(case((s.score >= 9, 1), else_=0)),
            func.sum(case((s.score <= 6, 1), else_=0)),
        )
        .where(s.tenant_id.in_(ids), s.ts >= start, s.ts < end)
        .group_by(s.tenant_id, day)
    )


def rates_query(currencies: Sequence[str], days: DayRange | None = None) -> Select:
    """The rates of these currencies, all of them or only those a conversion over `days` can use.

    A day converts at the latest rate on or before it, else at the earliest rate after it
    (resolvers/money.py): so per currency the rows from the latest on or before `days.start`
    (else the earliest) up to `days.end`, and that first row even when it lies after the end.
    """
    f = fx_rates.c
    query = select(f.currency, f.day, f.usd_per_unit).where(f.currency.in_(currencies))
    if days is not None:
        g = fx_rates.alias("g").c
        lo = (
            select(g.currency, func.coalesce(func.max(case((g.day <= days.start, g.day))), func.min(g.day)).label("lo"))
            .where(g.currency.in_(currencies))
            .group_by(g.currency)
            .subquery()
        )
        query = query.join(lo, and_(lo.c.currency == f.currency, f.day >= lo.c.lo,
                                    or_(f.day <= days.end, f.day == lo.c.lo)))
    return query.order_by(f.currency, f.day)


def known_currencies_query(currencies: Sequence[str]) -> Select:
    """Which of these currencies have a rate at all (a primary key scan, no rate read)."""
    f = fx_rates.c
    return select(f.currency).where(f.currency.in_(currencies)).group_by(f.currency)


def latest_rates_query() -> Select:
    f = fx_rates.c
    latest = select(f.currency, func.max(f.day).label("day")).group_by(f.currency).subquery()
    return (
        select(f.currency, f.day, f.usd_per_unit)
        .join(latest, and_(latest.c.currency == f.currency, latest.c.day == f.day))
        .order_by(f.currency)
    )


def data_range_query(ids: Sequence[str], rollups: bool = False) -> Any:
    """First and last timestamp per tenant over every table that holds its data; with rollups
    also their days, which outlive the raw rows a retention policy dropped."""
    parts = [
        select(t.c.tenant_id, func.min(col).label("first"), func.max(col).label("last"))
        .where(t.c.tenant_id.in_(ids))
        .group_by(t.c.tenant_id)
        for t, col in ((pageviews, pageviews.c.ts), (bookings, bookings.c.booked_at), (surveys, surveys.c.ts))
    ]
    if rollups:
        parts += [
            select(t.c.tenant_id, func.min(t.c.day).label("first"), func.max(t.c.day).label("last"))
            .where(t.c.tenant_id.in_(ids))
            .group_by(t.c.tenant_id)
            for t in (rollup_traffic, rollup_surveys)
        ]
    return union_all(*parts)
