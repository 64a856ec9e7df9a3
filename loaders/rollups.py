"""Keeping the rollups current: after writes, on demand (`rollup refresh`) and by a change check.

Every function returns the tenants whose rollups it rebuilt, so the caller can bump their data
version (the result cache's invalidation).

The change check is cheap and catches loads nobody announced (an ETL job writing straight
into the fact tables): per tenant and fact table it compares the live row count and highest id
with those recorded at the last refresh. Rows appended since (ids above the recorded one,
and exactly as many as the count grew) have their days rebuilt; anything else (deleted or
rewritten rows) rebuilds that tenant's table from scratch. In-place UPDATEs that keep count
and ids are invisible to it: run `analytics-gateway rollup refresh` after those.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.vocabulary import Granularity
from loaders.periods import period_start
from loaders.rollup_refresh import (
    SOURCES,
    bump_version,
    day_of,
    record_state,
    refresh_days_in,
    refresh_tenant_in,
    tenants_with_data,
)
from loaders.rollup_selects import RAW, TS
from loaders.rollup_tables import FX_VERSION, rollup_state
from loaders.tables import fx_rates

log = logging.getLogger(__name__)
__all__ = ["SOURCES", "refresh_days", "refresh_all", "check_changes", "touched_days"]


async def refresh_days(
    engine: AsyncEngine, tenant_id: str, days: Iterable[date], sources: Sequence[str] = SOURCES
) -> set[str]:
    """Rebuild some days of one tenant in one transaction (writers call this after a write)."""
    days = set(days)
    if not days:
        return set()
    async with engine.begin() as conn:
        await refresh_days_in(conn, tenant_id, days, sources)
    return {tenant_id}


async def refresh_all(engine: AsyncEngine, tenant_id: str | None = None, since: date | None = None) -> set[str]:
    """`rollup refresh`: every tenant (or one) from `since` on; one transaction per tenant."""
    async with engine.connect() as conn:
        ids = [tenant_id] if tenant_id is not None else await tenants_with_data(conn)
    for tid in ids:
        async with engine.begin() as conn:
            await refresh_tenant_in(conn, tid, since)
    return set(ids)


def touched_days(source: str, rows: Iterable[Mapping[str, object]]) -> dict[str, set[date]]:
    """The (tenant, UTC day)s a batch of raw rows of `source` falls on."""
    ts = TS[source].key
    out: dict[str, set[date]] = {}
    for row in rows:
        out.setdefault(str(row["tenant_id"]), set()).add(day_of(row[ts]))
    return out


async def check_changes(engine: AsyncEngine) -> set[str]:
    """Rebuild what changed behind the gateway's back since the last recorded state.

    Returns the tenants rebuilt, and FX_VERSION ("") when the fx rates changed.
    """
    changed: set[str] = set()
    async with engine.connect() as conn:
        stored = {
            (row.tenant_id, row.source): (row.row_count, row.max_id)
            for row in await conn.execute(select(rollup_state))
        }
        live: dict[tuple[str, str], tuple[int, int]] = {}
        for source, table in RAW.items():
            query = select(table.c.tenant_id, func.count(), func.max(table.c.id)).group_by(table.c.tenant_id)
            for tenant_id, count, top in await conn.execute(query):
                live[(tenant_id, source)] = (int(count), int(top))
        fx = (await conn.execute(select(func.count(), func.max(fx_rates.c.day), func.sum(fx_rates.c.usd_per_unit)))).one()
    if await _fx_changed(engine, stored.get((FX_VERSION, "fx_rates")), _fx_token(fx)):
        changed.add(FX_VERSION)
    stored.pop((FX_VERSION, "fx_rates"), None)
    for key in sorted(stored.keys() | live.keys()):
        before, now = stored.get(key), live.get(key, (0, 0))
        if before == now:
            continue
        tenant_id, source = key
        async with engine.begin() as conn:
            now = await record_state(conn, tenant_id, source)
            days = await _appended_days(conn, tenant_id, source, before, now)
            if days is None:
                await refresh_tenant_in(conn, tenant_id, None, [source])
            else:
                await refresh_days_in(conn, tenant_id, days, [source])
        log.info("rollups of %s %s rebuilt after an outside change", tenant_id, source)
        changed.add(tenant_id)
    return changed


def _fx_token(row: Any) -> tuple[int, int]:
    count, last, total = row
    return int(count), zlib.crc32(f"{last}|{total}".encode())


async def _fx_changed(engine: AsyncEngine, before: tuple[int, int] | None, now: tuple[int, int]) -> bool:
    """fx rates feed every converted amount: a change bumps their own data version.

    Nothing recorded and no rates is no change: a check of an empty store writes nothing.
    """
    if before == now or (before is None and now[0] == 0):
        return False
    async with engine.begin() as conn:
        s = rollup_state.c
        await conn.execute(delete(rollup_state).where(s.tenant_id == FX_VERSION, s.source == "fx_rates"))
        await conn.execute(insert(rollup_state).values(
            tenant_id=FX_VERSION, source="fx_rates", row_count=now[0], max_id=now[1], refreshed_at=datetime.utcnow()
        ))
        await bump_version(conn, FX_VERSION)
    return True


async def _appended_days(
    conn: AsyncConnection, tenant_id: str, source: str, before: tuple[int, int] | None, now: tuple[int, int]
) -> set[date] | None:
    """The days of rows appended after `before`, or None when rows were not only appended."""
    if before is None:
        return None
    table = RAW[source]
    day = period_start(TS[source], Granularity.DAY)
    newer = table.c.tenant_id == tenant_id, table.c.id > before[1], table.c.id <= now[1]
    count = (await conn.execute(select(func.count()).where(*newer))).scalar_one()
    if before[0] + int(count) != now[0]:
        return None
    return {day_of(value) for (value,) in await conn.execute(select(day).where(*newer).distinct())}
