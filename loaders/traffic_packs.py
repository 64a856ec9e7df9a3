"""rollup_traffic as packs (loaders/packs.py): per tenant and day, its rows as records.

Every writer of rollup_traffic repacks the days it wrote in its own transaction (`repack_in`),
or, for appended rows, adds them as new parts (`append_in`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import and_, delete, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.calendar import DayRange
from loaders.packs import Span, coded, insert_parts, label_in, read_coded, span_where
from loaders.periods import as_date
from loaders.rollup_tables import rollup_traffic, rollup_traffic_packs

# One record per rollup_traffic row (little-endian, no padding).
RECORD = np.dtype(
    [
        ("visitor", "<i8"),
        ("session", "<i8"),
        ("channel", "<u4"),
        ("device", "<u4"),
        ("country", "<u4"),
        ("logged_in", "u1"),
        ("steps", "u1"),
        ("pageviews", "<u4"),
    ]
)
LABELLED = ("channel", "device", "country")
R, P = rollup_traffic.c, rollup_traffic_packs.c


async def repack_in(conn: AsyncConnection, tenant_id: str, spans: Iterable[Span]) -> None:
    """Rebuild the tenant's packs of the spans' days from its rollup_traffic rows."""
    for span in spans:
        where = span_where(R.day, R.tenant_id, tenant_id, span)
        await label_in(conn, rollup_traffic, LABELLED, where)
        await conn.execute(delete(rollup_traffic_packs).where(*span_where(P.day, P.tenant_id, tenant_id, span)))
        rows = await read_coded(conn, _coded(where))
        await _insert(conn, tenant_id, rows)


async def repack_days_in(conn: AsyncConnection, tenant_id: str, days: Iterable[date]) -> None:
    await repack_in(conn, tenant_id, [(day, day) for day in sorted(set(days))])


async def append_in(conn: AsyncConnection, tenant_id: str, firsts: Mapping[date, int]) -> None:
    """Pack rollup_traffic rows just appended (`n` from firsts[day] on) as new parts of their
    days, in time linear in the rows: exact for the reason the appended rows are (a distinct
    count does not mind a member twice, a sum adds). The next repack of the day merges them."""
    if not firsts:
        return
    where = [R.tenant_id == tenant_id, or_(*(and_(R.day == day, R.n >= n) for day, n in firsts.items()))]
    await label_in(conn, rollup_traffic, LABELLED, where)
    top = await conn.execute(
        select(P.day, func.max(P.part)).where(P.tenant_id == tenant_id, P.day.in_(list(firsts))).group_by(P.day)
    )
    after = {as_date(day): int(part) + 1 for day, part in top}
    await _insert(conn, tenant_id, await read_coded(conn, _coded(where)), after)


def _coded(where: Sequence[Any]) -> Any:
    """The rows with their dimension values as codes, in record order after the day (then `unseen`)."""
    joined, codes, unseen = coded(rollup_traffic, LABELLED)
    return (
        select(R.day, R.visitor_num, R.session_num, *codes, R.logged_in, R.steps, R.pageviews, unseen)
        .select_from(joined)
        .where(*where)
        .order_by(R.day, R.n)
    )


async def _insert(
    conn: AsyncConnection, tenant_id: str, rows: Sequence[Any], first_part: Mapping[date, int] | None = None
) -> None:
    by_day: dict[date, list[tuple[Any, ...]]] = {}
    for day, *record in rows:
        by_day.setdefault(as_date(day), []).append(tuple(record))
    await insert_parts(conn, rollup_traffic_packs, tenant_id, "day", by_day, RECORD, first_part)


def packs_query(ids: Sequence[str], days: DayRange) -> Any:
    return select(P.tenant_id, P.day, P.records).where(P.tenant_id.in_(ids), P.day >= days.start, P.day <= days.end)


EPOCH = date(2000, 1, 1)
WEEK_DAYS = 7
# MySQL/MariaDB: GROUP_CONCAT with ORDER BY and SEPARATOR, which SQLAlchemy does not express
_DAY = f"DATEDIFF(day, '{EPOCH.isoformat()}')"
_LAYOUT = f"GROUP_CONCAT({_DAY}, ':', LENGTH(records) ORDER BY day, part)"
_RECORDS = "GROUP_CONCAT(records ORDER BY day, part SEPARATOR '')"


def weeks_query(ids: Sequence[str], days: DayRange) -> Any:
    """MySQL and MariaDB: the same packs, a row per tenant and 7-day block: (tenant_id, packs,
    layout, records), the layout "day:bytes,..." (days after EPOCH) of the packs concatenated in
    records.

    Read in ~1/7 of the rows (aiomysql parses every row in Python: 4,500 rows of a portfolio's
    90 days took ~70 ms, their 700 weeks ~45 ms). A block longer than the session's
    group_concat_max_len comes back cut short: pack_counts.decoded_weeks tells, and the caller
    reads packs_query instead."""
    return (
        select(P.tenant_id, func.count(), literal_column(_LAYOUT), literal_column(_RECORDS))
        .where(P.tenant_id.in_(ids), P.day >= days.start, P.day <= days.end)
        .group_by(P.tenant_id, literal_column(f"{_DAY} DIV {WEEK_DAYS}"))
    )
