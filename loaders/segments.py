"""SQL of the segmented funnel, attribution and retention cohorts: one statement per batch each.

Window functions (ROW_NUMBER) pick each session's first pageview and each booking's touch in
one pass; SQLite >= 3.25 and MariaDB >= 10.2 both have them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, String, and_, case, distinct, func, literal, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from core.vocabulary import FUNNEL_STEPS
from core.calendar import DayRange
from core.vocabulary import AttributionModel, Dimension, Granularity
from loaders.periods import period_start
from loaders.tables import bookings, pageviews

NONE = "(none)"  # UTM value NULL or empty, or a booking without a touch
UNKNOWN_COUNTRY = "unknown"
UTM_COLUMNS = {
    Dimension.UTM_SOURCE: "utm_source",
    Dimension.UTM_MEDIUM: "utm_medium",
    Dimension.UTM_CAMPAIGN: "utm_campaign",
}


def dimension_label(dimension: Dimension, pv: Any) -> ColumnElement[Any]:
    """The dimension's key as the API shows it, computed in SQL (so NULL and '' group together)."""
    match dimension:
        case Dimension.CHANNEL:
            return pv.c.channel
        case Dimension.DEVICE:
            return pv.c.device
        case Dimension.COUNTRY:
            return func.coalesce(pv.c.country, literal(UNKNOWN_COUNTRY, String))
        case Dimension.LOGIN_STATUS:
            return case((pv.c.logged_in == true(), "logged_in"), else_="logged_out")
    column = pv.c[UTM_COLUMNS[dimension]]
    return func.coalesce(func.nullif(column, ""), literal(NONE, String))


class days_before(FunctionElement):  # noqa: N801 - reads like the SQL function it stands for
    """`ts` minus a whole number of days, exact to the stored fraction of a second."""

    type = pageviews.c.ts.type
    inherit_cache = False  # the day count is part of the SQL text

    def __init__(self, ts: ColumnElement[Any], days: int) -> None:
        self.days = int(days)
        super().__init__(ts)


@compiles(days_before)
@compiles(days_before, "sqlite")
def _sqlite(element: days_before, compiler: Any, **kw: Any) -> str:
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff'; whole days move only the date part (UTC has
    # no DST), and datetime() would drop the microseconds, so the time of day is kept as text
    ts = compiler.process(element.clauses, **kw)
    return f"(date({ts}, '-{element.days} days') || substr({ts}, 11))"


@compiles(days_before, "mysql")
@compiles(days_before, "mariadb")
def _mysql(element: days_before, compiler: Any, **kw: Any) -> str:
    return f"DATE_SUB({compiler.process(element.clauses, **kw)}, INTERVAL {element.days} DAY)"


def funnel_by_query(ids: Sequence[str], days: DayRange, by: Dimension) -> Select:
    """Per tenant and segment: distinct sessions per funnel step, a session's segment being
    the dimension value of its earliest pageview in the range (ties: the lowest id).

    One pass: FIRST_VALUE over the session's views (ordered by ts, id) labels every view
    with its session's segment, so no self-join is needed.
    """
    start, end = days.bounds()
    pv = pageviews.alias("pv")
    labelled = (
        select(
            pv.c.tenant_id,
            pv.c.session_id,
            pv.c.step,
            func.first_value(dimension_label(by, pv))
            .over(partition_by=(pv.c.tenant_id, pv.c.session_id), order_by=(pv.c.ts, pv.c.id))
            .label("segment"),
        )
        .where(pv.c.tenant_id.in_(ids), pv.c.ts >= start, pv.c.ts < end)
        .subquery("labelled")
    )
    v = labelled.c
    steps = [func.count(distinct(case((v.step == step, v.session_id)))) for step in FUNNEL_STEPS]
    return select(v.tenant_id, v.segment, *steps).group_by(v.tenant_id, v.segment)


def attribution_query(
    ids: Sequence[str], days: DayRange, by: Dimension, model: AttributionModel, lookback_days: int
) -> Select:
    """Per tenant, credited key, UTC booking day and currency: confirmed bookings and cents.

    Each confirmed booking of the range is joined to its visitor's pageviews in
    [booked_at - lookback, booked_at]; ROW_NUMBER keeps the first (ts, id) or last touch.
    """
    start, end = days.bounds()
    b = bookings.alias("b")
    pv = pageviews.alias("pv")
    if model is AttributionModel.FIRST_TOUCH:
        order = (pv.c.ts.asc(), pv.c.id.asc())
    else:
        order = (pv.c.ts.desc(), pv.c.id.desc())
    touch = and_(
        pv.c.tenant_id == b.c.tenant_id,
        pv.c.visitor_id == b.c.visitor_id,
        pv.c.ts >= days_before(b.c.booked_at, lookback_days),
        pv.c.ts <= b.c.booked_at,
    )
    key = case((pv.c.id.is_(None), literal(NONE, String)), else_=dimension_label(by, pv))
    candidates = (
        select(
            b.c.tenant_id,
            period_start(b.c.booked_at, Granularity.DAY).label("day"),
            b.c.currency,
            # whole cents: exact on MySQL's DECIMAL and on SQLite's REAL storage alike
            func.round(b.c.amount * 100).label("cents"),
            key.label("key"),
            func.row_number().over(partition_by=b.c.id, order_by=order).label("rn"),
        )
        .select_from(b.outerjoin(pv, touch))

        .where(b.c.tenant_id.in_(ids), b.c.status == "confirmed", b.c.booked_at >= start, b.c.booked_at < end)
        .subquery("candidates")
    )
    c = candidates.c
    return (
        select(c.tenant_id, c.key, c.day, c.currency, func.count(), func.sum(c.cents))
        .where(c.rn == 1)
        .group_by(c.tenant_id, c.key, c.day, c.currency)
    )


def retention_query(ids: Sequence[str], days: DayRange, granularity: Granularity) -> Select:
    """Per tenant and cohort customer (first confirmed booking ever inside the range): the
    period of that first booking and each distinct period of their confirmed bookings in the
    range."""
    start, end = days.bounds()
    e = bookings.alias("e")
    firsts = (
        select(e.c.tenant_id, e.c.customer_id, func.min(e.c.booked_at).label("first"))
        .where(e.c.tenant_id.in_(ids), e.c.status == "confirmed")
        .group_by(e.c.tenant_id, e.c.customer_id)
        .having(and_(func.min(e.c.booked_at) >= start, func.min(e.c.booked_at) < end))
        .subquery("firsts")
    )
    b = bookings.alias("b")
    return (
        select(
            firsts.c.tenant_id,
            firsts.c.customer_id,
            period_start(firsts.c.first, granularity).label("cohort"),
            period_start(b.c.booked_at, granularity).label("period"),
        )
        .select_from(
            firsts.join(
                b,
                and_(b.c.tenant_id == firsts.c.tenant_id, b.c.customer_id == firsts.c.customer_id),
            )
        )
        .where(b.c.status == "confirmed", b.c.booked_at >= start, b.c.booked_at < end)
        .distinct()
    )
