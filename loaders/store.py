"""Creating the store and writing rows in bulk (seed and test data)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from loaders.tables import metadata, tenants

CHUNK = 5000


async def create_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


async def drop_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


async def insert_rows(engine: AsyncEngine, table: Table, rows: Iterable[Mapping[str, object]]) -> int:
    """Insert in chunks of executemany, one transaction per chunk; returns the row count."""
    count = 0
    batch: list[Mapping[str, object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            count += await _flush(engine, table, batch)
            batch = []
    if batch:
        count += await _flush(engine, table, batch)
    return count


async def _flush(engine: AsyncEngine, table: Table, batch: list[Mapping[str, object]]) -> int:
    async with engine.begin() as conn:
        await conn.execute(table.insert(), batch)
    return len(batch)


async def tenant_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(tenants))).scalar_one())


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(select(1))


async def first_tenant_id(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        return str((await conn.execute(select(tenants.c.id).order_by(tenants.c.id).limit(1))).scalar_one())
