"""Removing one person's rows (right to erasure) and raw rows past a tenant's retention period.

Erasure runs in one transaction per person, so a failure leaves nothing half-erased.
A customer's person spans their bookings, the survey answers about those bookings and the
pageviews of every visitor id their bookings name; a visitor's person spans their pageviews,
and their bookings lose the link to the visitor (the booking itself belongs to a customer,
whose erasure is `--customer`).

The person's rows of `rollup_traffic` (which holds the numbers `rollup_members` gives visitor
and session ids) are deleted here too, on every day, and so is the visitor's number: on days whose raw pageviews a retention policy dropped, no rebuild can
remove them (rebuilds stop at the cutoff). Deleting a visitor's rows is exact: the day's
distinct visitors, sessions and funnel steps are counted over the remaining rows, and its
pageviews summed over them, just as a rebuild from the remaining raw rows would. Later days
are rebuilt by the caller anyway. The packs of the days the rows were on are rebuilt from what remains. `rollup_surveys` of dropped days holds counts without any
id and cannot be split by person; see docs/privacy.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loaders.periods import as_date
from loaders.rollup_tables import VISITOR, rollup_members, rollup_traffic
from loaders.traffic_packs import repack_days_in
from loaders.tables import bookings, pageviews, surveys, tenants

Report = dict[str, int]


async def tenant_exists(engine: AsyncEngine, tenant_id: str) -> bool:
    async with engine.connect() as conn:
        return (await conn.execute(select(tenants.c.id).where(tenants.c.id == tenant_id))).first() is not None


async def erase_customer(engine: AsyncEngine, tenant_id: str, customer_id: str) -> Report:
    b = bookings.c
    async with engine.begin() as conn:
        rows = (await conn.execute(
            select(b.booking_ref, b.visitor_id).where(b.tenant_id == tenant_id, b.customer_id == customer_id)
        )).all()
        refs = sorted({row[0] for row in rows})
        visitors = sorted({row[1] for row in rows if row[1] is not None})
        report = {
            "surveys": await _delete_in(conn, surveys, tenant_id, surveys.c.booking_ref, refs),
            "pageviews": await _delete_in(conn, pageviews, tenant_id, pageviews.c.visitor_id, visitors),
            "rollup_traffic": await _forget_visitors(conn, tenant_id, visitors),
            "bookings": (await conn.execute(
                delete(bookings).where(b.tenant_id == tenant_id, b.customer_id == customer_id)
            )).rowcount,
        }
    return report


async def erase_visitor(engine: AsyncEngine, tenant_id: str, visitor_id: str) -> Report:
    b = bookings.c
    async with engine.begin() as conn:
        views = await conn.execute(
            delete(pageviews).where(pageviews.c.tenant_id == tenant_id, pageviews.c.visitor_id == visitor_id)
        )
        rolled = await _forget_visitors(conn, tenant_id, [visitor_id])
        unlinked = await conn.execute(
            update(bookings).where(b.tenant_id == tenant_id, b.visitor_id == visitor_id).values(visitor_id=None)
        )
    return {"pageviews": views.rowcount, "rollup_traffic": rolled, "bookings_unlinked": unlinked.rowcount}


async def _forget_visitors(conn: AsyncConnection, tenant_id: str, visitors: Sequence[str]) -> int:
    """Deletes the visitors' rollup rows on every day, then their numbers; returns the rows.

    Their sessions' numbers go with the caller's full rebuild, which drops unused numbers."""
    m, r = rollup_members.c, rollup_traffic.c
    removed = 0
    for start in range(0, len(visitors), 500):  # bounded IN lists
        chunk = list(visitors[start : start + 500])
        numbers = select(m.num).where(m.tenant_id == tenant_id, m.kind == VISITOR, m.member.in_(chunk))
        theirs = r.tenant_id == tenant_id, r.visitor_num.in_(numbers)
        days = [day for (day,) in await conn.execute(select(r.day).where(*theirs).distinct())]
        result = await conn.execute(delete(rollup_traffic).where(*theirs))
        removed += result.rowcount
        await repack_days_in(conn, tenant_id, map(as_date, days))
        await conn.execute(delete(rollup_members).where(m.tenant_id == tenant_id, m.kind == VISITOR, m.member.in_(chunk)))
    return removed


async def _delete_in(conn: AsyncConnection, table: object, tenant_id: str, column: object, values: Sequence[str]) -> int:
    removed = 0
    for start in range(0, len(values), 500):  # bounded IN lists
        chunk = list(values[start : start + 500])
        result = await conn.execute(
            delete(table).where(table.c.tenant_id == tenant_id, column.in_(chunk))  # type: ignore[attr-defined]
        )
        removed += result.rowcount
    return removed


