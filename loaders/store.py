"""The store as a whole: creating its tables, checking it answers, planner statistics."""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loaders import booking_packs, survey_packs, traffic_packs
from loaders.rollup_tables import rollup_bookings, rollup_surveys, rollup_traffic  # also registers the rollup tables in the metadata
from loaders.tables import metadata, pageviews, surveys, tenants

# columns added to tables after their first release: (table, column, its unique index with tenant_id)
LATER_COLUMNS = (
    (pageviews, "event_id", "uq_pageviews_tenant_event"),
    (surveys, "response_id", "uq_surveys_tenant_response"),
)

# rollup table -> its packs' table and their builder (packs came later: a store from before them
# is packed at schema creation)
PACKED = {
    rollup_traffic: ("rollup_traffic_packs", traffic_packs.repack_in),
    rollup_bookings: ("rollup_booking_packs", booking_packs.repack_in),
    rollup_surveys: ("rollup_survey_packs", survey_packs.repack_in),
}


async def create_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_drop_old_rollups)
        unpacked = await conn.run_sync(_lacks_packs)
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(_add_later_columns)
        await _pack_everything(conn, unpacked)


def _lacks_packs(conn: Connection) -> list[Table]:
    """The rollup tables present without their packs."""
    names = inspect(conn).get_table_names()
    return [table for table, (packs, _) in PACKED.items() if table.name in names and packs not in names]


async def _pack_everything(conn: AsyncConnection, tables: list[Table]) -> None:
    """A store from before packs: its rollups packed, every day (the rollups of days a retention
    policy dropped the raw rows of cannot be rebuilt, only packed)."""
    for table in tables:
        repack = PACKED[table][1]
        for (tenant_id,) in (await conn.execute(select(table.c.tenant_id).distinct())).all():
            await repack(conn, tenant_id, [(None, None)])


def _drop_old_rollups(conn: Connection) -> None:
    """A rollup table of an earlier shape is dropped (create_all makes the new one), and its
    recorded state with it, so the next change check (or `rollup refresh`) rebuilds it."""
    inspector = inspect(conn)
    if "rollup_traffic" not in inspector.get_table_names():
        return
    if "visitor_num" in {column["name"] for column in inspector.get_columns("rollup_traffic")}:
        return
    conn.exec_driver_sql("DROP TABLE rollup_traffic")
    if "rollup_state" in inspector.get_table_names():
        conn.exec_driver_sql("DELETE FROM rollup_state WHERE source = 'pageviews'")


def _add_later_columns(conn: Connection) -> None:
    """Brings a store created before ingestion up to date (create_all adds no columns)."""
    inspector = inspect(conn)
    for table, name, index in LATER_COLUMNS:
        if name in {column["name"] for column in inspector.get_columns(table.name)}:
            continue
        ddl = table.c[name].type.compile(conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {name} {ddl} NULL")
        conn.exec_driver_sql(f"CREATE UNIQUE INDEX {index} ON {table.name} (tenant_id, {name})")


async def tenant_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(tenants))).scalar_one())


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(select(1))


async def tenant_ids(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return [str(row[0]) for row in await conn.execute(select(tenants.c.id).order_by(tenants.c.id))]
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
