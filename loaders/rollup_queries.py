"""The SELECTs of loaders/queries.py answered from the rollups: same columns, same numbers.

Ranges are whole UTC days and rollup rows are whole UTC days, so no raw row is needed.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from typing import Any

from sqlalchemy import Select, case, distinct, func, literal, select, true

from loaders.facts import ALL_MEASURES, TrafficMeasure, TrafficShape, measure_columns
from core.calendar import DayRange
from core.vocabulary import FUNNEL_STEPS, Dimension, Granularity
from loaders.periods import period_start
from loaders.rollup_tables import rollup_bookings, rollup_surveys, rollup_traffic

R = rollup_traffic.c
DIMENSION_COLUMNS = {
    Dimension.CHANNEL: R.channel,
    Dimension.DEVICE: R.device,
    Dimension.COUNTRY: R.country,
    Dimension.LOGIN_STATUS: R.logged_in,
}


def covers(shape: TrafficShape) -> bool:
    """Whether the rollups can answer this traffic shape (not the UTM dimensions)."""
    return not isinstance(shape, Dimension) or shape in DIMENSION_COLUMNS


def _distinct(column: Any, when: Any = None) -> Any:
    return func.count(distinct(column if when is None else case((when, column))))


def traffic_query(
    ids: Sequence[str], days: DayRange, shape: TrafficShape, measures: Set[TrafficMeasure] = ALL_MEASURES
) -> Select:
    """Only the measures asked for, distinct counts over the members' numbers: a statement of
    distinct visitors alone reads one narrow covering index, one of sessions and the funnel the other."""
    if isinstance(shape, Granularity):
        key: Any = period_start(R.day, shape)
    elif isinstance(shape, Dimension):
        key = DIMENSION_COLUMNS[shape]
    else:
        key = literal(None)
    columns = {
        TrafficMeasure.VISITORS: [_distinct(R.visitor_num)],
        TrafficMeasure.SESSIONS: [_distinct(R.session_num)],
        TrafficMeasure.PAGEVIEWS: [func.sum(R.pageviews)],
        TrafficMeasure.LOGGED_IN: [_distinct(R.visitor_num, R.logged_in == true())],
        TrafficMeasure.FUNNEL: [_distinct(R.session_num, R.steps.op("&")(1 << i) != 0) for i in range(len(FUNNEL_STEPS))],
    }
    query = select(R.tenant_id, key.label("key"), *measure_columns(columns, measures)).where(
        R.tenant_id.in_(ids), R.day >= days.start, R.day <= days.end
    )
    return query.group_by(R.tenant_id) if shape is None else query.group_by(R.tenant_id, key)


def bookings_query(ids: Sequence[str], days: DayRange, by_channel: bool) -> Select:
    b = rollup_bookings.c
    channel = b.channel if by_channel else literal(None)
    keys = [b.tenant_id, b.day, b.currency] + ([b.channel] if by_channel else [])
    return (
        select(
            b.tenant_id,
            b.day,
            b.currency,
            channel.label("channel"),
            func.sum(b.confirmed),
            func.sum(b.cancelled),
            func.sum(b.room_nights),
            func.sum(b.cents),
            func.sum(b.repeats),
        )
        .where(b.tenant_id.in_(ids), b.day >= days.start, b.day <= days.end)
        .group_by(*keys)
    )


def surveys_query(ids: Sequence[str], days: DayRange) -> Select:
    s = rollup_surveys.c
    return select(s.tenant_id, s.day, s.answers, s.promoters, s.detractors).where(
        s.tenant_id.in_(ids), s.day >= days.start, s.day <= days.end
    )
