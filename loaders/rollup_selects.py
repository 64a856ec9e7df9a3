"""The rollup rows of whole UTC days, selected from the raw rows (INSERT ... SELECT: nothing
travels through Python), and the WHERE clauses of a tenant's days in either."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, distinct, func, select

from core.vocabulary import FUNNEL_STEPS, Granularity
from loaders.periods import period_start
from loaders.rollup_tables import (
    SESSION,
    VISITOR,
    customer_firsts,
    rollup_bookings,
    rollup_members,
    rollup_surveys,
    rollup_traffic,
)
from loaders.tables import bookings, pageviews, surveys

RAW = {"pageviews": pageviews, "bookings": bookings, "surveys": surveys}
TS = {"pageviews": pageviews.c.ts, "bookings": bookings.c.booked_at, "surveys": surveys.c.ts}
ROLLUP = {"pageviews": rollup_traffic, "bookings": rollup_bookings, "surveys": rollup_surveys}
# (first day, last day); None on either side is open
Span = tuple[date | None, date | None]


def raw_where(source: str, tenant_id: str, span: Span) -> list[Any]:
    table, ts = RAW[source], TS[source]
    clauses = [table.c.tenant_id == tenant_id]
    if span[0] is not None:
        clauses.append(ts >= datetime.combine(span[0], datetime.min.time()))
    if span[1] is not None:
        clauses.append(ts < datetime.combine(span[1] + timedelta(days=1), datetime.min.time()))
    return clauses


def rollup_where(source: str, tenant_id: str, span: Span) -> list[Any]:
    table = ROLLUP[source]
    clauses = [table.c.tenant_id == tenant_id]
    if span[0] is not None:
        clauses.append(table.c.day >= span[0])
    if span[1] is not None:
        clauses.append(table.c.day <= span[1])
    return clauses


def _traffic_select(tenant_id: str, span: Span) -> Any:
    return traffic_rows(raw_where("pageviews", tenant_id, span))


def traffic_rows(where: Sequence[Any], numbered: bool = True) -> Any:
    """The rollup_traffic rows of the pageviews `where` selects (`n` first unless not `numbered`)."""
    pv = pageviews.c
    visitors, sessions = rollup_members.alias("mv"), rollup_members.alias("ms")
    visitor, session = visitors.c, sessions.c
    day = period_start(pv.ts, Granularity.DAY)
    # distinct powers of two: their SUM(DISTINCT) is their bitwise OR, on every dialect
    bit = case({step: 1 << i for i, step in enumerate(FUNNEL_STEPS)}, value=pv.step, else_=0)
    dims = [session.num, visitor.num, pv.channel, pv.device, pv.country, pv.logged_in]
    n = func.row_number().over(partition_by=day, order_by=dims)  # ordered: a rebuild gives the same rows
    joined = pageviews.join(
        visitors, and_(visitor.tenant_id == pv.tenant_id, visitor.kind == VISITOR, visitor.member == pv.visitor_id)
    ).join(
        sessions, and_(session.tenant_id == pv.tenant_id, session.kind == SESSION, session.member == pv.session_id)
    )
    return (
        select(pv.tenant_id, day, *([n] if numbered else []), *dims, func.sum(distinct(bit)), func.count())
        .select_from(joined)
        .where(*where)
        .group_by(pv.tenant_id, day, *dims)
        # pageviews first, then one unique-key lookup per id: statistics taken while the numbers
        # table was empty (or rows it got in this very transaction) made MariaDB start from the
        # numbers and scan the tenant's pageviews once per session (minutes for 20k rows)
        .prefix_with("STRAIGHT_JOIN", dialect="mysql")
        .prefix_with("STRAIGHT_JOIN", dialect="mariadb")
    )


def _bookings_select(tenant_id: str, span: Span) -> Any:
    b, f = bookings.c, customer_firsts.c
    day = period_start(b.booked_at, Granularity.DAY)
    confirmed = b.status == "confirmed"
    repeat = and_(confirmed, f.first_confirmed_at < b.booked_at)
    joined = bookings.outerjoin(
        customer_firsts, and_(f.tenant_id == b.tenant_id, f.customer_id == b.customer_id)
    )
    return (
        select(
            b.tenant_id,
            day,
            b.currency,
            b.channel,
            func.sum(case((confirmed, 1), else_=0)),
            func.sum(case((b.status == "cancelled", 1), else_=0)),
            func.sum(case((confirmed, b.nights * b.rooms), else_=0)),
            # whole cents, as the raw path sums them
            func.sum(case((confirmed, func.round(b.amount * 100)), else_=0)),
            func.sum(case((repeat, 1), else_=0)),
        )
        .select_from(joined)
        .where(*raw_where("bookings", tenant_id, span))
        .group_by(b.tenant_id, day, b.currency, b.channel)
    )


def _surveys_select(tenant_id: str, span: Span) -> Any:
    s = surveys.c
    day = period_start(s.ts, Granularity.DAY)
    return (
        select(
            s.tenant_id,
            day,
            func.count(),
            func.sum(case((s.score >= 9, 1), else_=0)),
            func.sum(case((s.score <= 6, 1), else_=0)),
        )
        .where(*raw_where("surveys", tenant_id, span))
        .group_by(s.tenant_id, day)
    )


SELECTS = {"pageviews": _traffic_select, "bookings": _bookings_select, "surveys": _surveys_select}


