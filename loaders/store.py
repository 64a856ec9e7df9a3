"""Creating the store and writing rows in bulk (seed and test data)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Table, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeEngine

from loaders.tables import metadata, tenants

# Rows per executemany and transaction: big enough that commits and statement setup vanish
# in the per-row cost, small enough to keep memory and MariaDB packets modest.
CHUNK = 20_000


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
    plan = _plan(engine.dialect, table, tuple(batch[0]))
    async with engine.begin() as conn:
        if plan is None:
            await conn.execute(table.insert(), batch)
        else:
            sql, to_tuples = plan
            await conn.exec_driver_sql(sql, to_tuples(batch))
    return len(batch)


Converter = Callable[[Any], Any]
_PROBE_DATETIME = datetime(2001, 2, 3, 4, 5, 6, 7)
_PROBE_DATE = date(2001, 2, 3)


@lru_cache(maxsize=128)
def _plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> tuple[str, Callable[[Sequence[Mapping[str, object]]], list[tuple[object, ...]]]] | None:
    """The positional INSERT and a batch converter that bypass SQLAlchemy's per-row work.

    Core's executemany spends ~15 us per row building and processing parameters, most of the
    demo seed time. Here each column's bind processor is applied once per batch, column-wise,
    and the DBAPI gets plain tuples, so the stored values are exactly what Core would write.
    Returns None (use Core) when the table has client-side defaults for missing columns,
    unknown keys, or the driver does not take positional parameters.
    """
    if dialect.paramstyle not in ("qmark", "format") or not keys:
        return None
    if any(key not in table.c for key in keys):
        return None
    if any(col.key not in keys and (col.default is not None or col.onupdate is not None) for col in table.c):
        return None
    compiled = table.insert().compile(dialect=dialect, column_keys=list(keys))
    order = compiled.positiontup
    if order is None or sorted(order) != sorted(keys):
        return None
    getter = itemgetter(*order) if len(order) > 1 else (lambda row, key=order[0]: (row[key],))
    converters = [(i, conv) for i, key in enumerate(order) if (conv := _converter(table.c[key].type, dialect))]

    def to_tuples(batch: Sequence[Mapping[str, object]]) -> list[tuple[object, ...]]:
        rows = list(map(getter, batch))
        if not converters:
            return rows
        columns = list(zip(*rows))
        for i, convert in converters:
            columns[i] = tuple(map(convert, columns[i]))
        return list(zip(*columns))

    return compiled.string, to_tuples


def _converter(sqltype: TypeEngine[Any], dialect: Dialect) -> Converter | None:
    """SQLAlchemy's bind processor of the type, with C-speed shortcuts for the hot types.

    A shortcut is used only when it gives the same result as the processor on a probe value
    (the SQLite date/time storage formats are ISO strings unless a table overrides them).
    """
    impl = sqltype.dialect_impl(dialect)
    process = impl.bind_processor(dialect)
    if process is None:
        return None
    try:
        if isinstance(impl, DateTime) and process(_PROBE_DATETIME) == _PROBE_DATETIME.isoformat(" ", "microseconds"):
            return lambda v: v.isoformat(" ", "microseconds") if type(v) is datetime and v.tzinfo is None else process(v)
        if isinstance(impl, Date) and process(_PROBE_DATE) == _PROBE_DATE.isoformat():
            return lambda v: v.isoformat() if type(v) is date else process(v)
        if isinstance(impl, Boolean):
            true, false = process(True), process(False)
            return lambda v: true if v is True else false if v is False else process(v)
    except (TypeError, ValueError):
        pass
    return process


async def tenant_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(tenants))).scalar_one())


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(select(1))


async def first_tenant_id(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        return str((await conn.execute(select(tenants.c.id).order_by(tenants.c.id).limit(1))).scalar_one())
