"""The store as a whole: creating its tables, checking it answers, planner statistics."""

from __future__ import annotations

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from loaders.tables import metadata, tenants


async def create_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


async def tenant_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(tenants))).scalar_one())


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(select(1))


async def missing_tables(engine: AsyncEngine) -> list[str]:
    """The gateway's tables the store lacks (all of them before `init-db`); one round trip."""
    async with engine.connect() as conn:
        present = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    return sorted(set(metadata.tables) - present)


class MissingTables(RuntimeError):
    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"the store has no table {', '.join(missing)}: run `analytics-gateway init-db`")
        self.missing = missing


async def require_tables(engine: AsyncEngine) -> None:
    missing = await missing_tables(engine)
    if missing:
        raise MissingTables(missing)


async def first_tenant_id(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        return str((await conn.execute(select(tenants.c.id).order_by(tenants.c.id).limit(1))).scalar_one())


async def analyze(engine: AsyncEngine) -> None:
    """Refresh the planner's statistics after a bulk load.

    Right after a load MariaDB's index statistics are stale and it may plan the repeat-booking
    EXISTS as a scan per booking (minutes instead of milliseconds); SQLite has none until asked.
    """
    names = ", ".join(table.name for table in metadata.sorted_tables)
    async with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.exec_driver_sql("ANALYZE")
        else:
            await conn.exec_driver_sql(f"ANALYZE TABLE {names}")
