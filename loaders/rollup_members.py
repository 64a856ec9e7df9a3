"""Numbers for visitor and session ids (rollup_members): the rollups count integers, not strings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from loaders.rollup_selects import Span, raw_where
from loaders.rollup_tables import SESSION, VISITOR, rollup_members, rollup_traffic
from loaders.tables import pageviews

IN_CHUNK = 500  # ids per IN list


async def number_span(conn: AsyncConnection, tenant_id: str, span: Span) -> None:
    await number_members(conn, raw_where("pageviews", tenant_id, span))


async def number_members(conn: AsyncConnection, where: Sequence[Any]) -> None:
    """Give every visitor and session id of the pageviews `where` selects a number
    (rollup_members), once.

    INSERT IGNORE / OR IGNORE against the unique key: ids numbered before keep their number.
    """
    pv = pageviews.c
    for kind, column in ((VISITOR, pv.visitor_id), (SESSION, pv.session_id)):
        ids = select(pv.tenant_id, literal(kind), column).where(*where).distinct()
        statement = (
            insert(rollup_members)
            .from_select(["tenant_id", "kind", "member"], ids)
            .prefix_with("IGNORE", dialect="mysql")
            .prefix_with("IGNORE", dialect="mariadb")
            .prefix_with("OR IGNORE", dialect="sqlite")
        )
        await conn.execute(statement)


async def prune_members(conn: AsyncConnection, tenant_id: str) -> None:
    """Drop the numbers of ids no rollup row uses any more (after erasure or deleted rows)."""
    m, r = rollup_members.c, rollup_traffic.c
    for kind, column in ((VISITOR, r.visitor_num), (SESSION, r.session_num)):
        # an anti-join against the used numbers, built once (a NOT IN or NOT EXISTS in the
        # DELETE runs as a dependent subquery on MariaDB: one scan of the rollup rows per member)
        used = select(column.label("num")).where(r.tenant_id == tenant_id).distinct().subquery()
        unused = (
            select(m.num)
            .outerjoin(used, used.c.num == m.num)
            .where(m.tenant_id == tenant_id, m.kind == kind, used.c.num.is_(None))
        )
        nums = [num for (num,) in await conn.execute(unused)]
        for i in range(0, len(nums), IN_CHUNK):
            await conn.execute(delete(rollup_members).where(m.num.in_(nums[i : i + IN_CHUNK])))


