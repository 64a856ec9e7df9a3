"""Adding new pageviews to the traffic rollups in the writer's transaction, in time linear in
the batch: a rebuild of their days would read every pageview of those days again, so a stream
of small writes to today cost time growing with today's traffic.

Exact: every read of `rollup_traffic` is a distinct count of member numbers or a sum, so the
new rows of a session may stand beside the rows the day already holds (one more row per session
and day at most per write); the next rebuild of the day (`rollup refresh`, the change check)
merges them again. Their packs are appended the same way (loaders/traffic_packs.append_in).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from loaders.periods import as_date
from loaders.rollup_members import IN_CHUNK, number_members
from loaders.rollup_refresh import bump_version, kept_from_in
from loaders.rollup_selects import traffic_rows
from loaders.rollup_tables import rollup_traffic
from loaders.tables import pageviews
from loaders.traffic_packs import append_in

COLUMNS = [column.name for column in rollup_traffic.c]


async def add_pageviews_in(conn: AsyncConnection, tenant_id: str, event_ids: Sequence[str]) -> None:
    """Adds the rollup rows of the tenant's pageviews stored in this transaction under these
    event ids (days before its retention cutoff excepted: they are no longer counted).

    The transaction must have taken the tenant's write lock (loaders.writes.lock_tenant) before
    its first read: on MariaDB its snapshot then follows every earlier writer's commit, so the
    member numbers and the day's highest `n` read below are that writer's too.
    """
    first = await kept_from_in(conn, tenant_id)
    for start in range(0, len(event_ids), IN_CHUNK):
        where = [pageviews.c.tenant_id == tenant_id, pageviews.c.event_id.in_(event_ids[start : start + IN_CHUNK])]
        if first is not None:
            where.append(pageviews.c.ts >= datetime.combine(first, time()))
        await number_members(conn, where)
        rows = (await conn.execute(traffic_rows(where, numbered=False))).all()
        if rows:
            numbered = await _numbered(conn, tenant_id, rows)
            await conn.execute(insert(rollup_traffic), numbered)
            firsts: dict[date, int] = {}
            for row in numbered:
                firsts.setdefault(row["day"], row["n"])  # type: ignore[arg-type]
            await append_in(conn, tenant_id, firsts)
    await bump_version(conn, tenant_id)


async def _numbered(conn: AsyncConnection, tenant_id: str, rows: Sequence[Sequence[object]]) -> list[dict[str, object]]:
    """The rows with `n` after the highest their day already has."""
    r = rollup_traffic.c
    days = sorted({as_date(row[1]) for row in rows})
    top = await conn.execute(
        select(r.day, func.max(r.n)).where(r.tenant_id == tenant_id, r.day.in_(days)).group_by(r.day)
    )
    last = {as_date(day): int(n) for day, n in top}
    out = []
    for tenant, day, *rest in rows:
        day = as_date(day)
        last[day] = last.get(day, 0) + 1
        out.append(dict(zip(COLUMNS, (tenant, day, last[day], *rest), strict=True)))
    return out
