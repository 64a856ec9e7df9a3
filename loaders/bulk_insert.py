"""Writing rows in bulk (seed, test data): executemany chunks with positional tuples."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from operator import attrgetter, itemgetter, methodcaller
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeEngine

# Rows per executemany and transaction: big enough that commits and statement setup vanish
# in the per-row cost, small enough to keep memory and MariaDB packets modest.
CHUNK = 20_000


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


Values = list[Any]
ColumnConverter = Callable[[Values], Values]
BatchConverter = Callable[[Sequence[Mapping[str, object]]], list[tuple[Any, ...]]]
_PROBE_DATETIME = datetime(2001, 2, 3, 4, 5, 6, 7)
_PROBE_DATE = date(2001, 2, 3)
_ISO_DATETIME = methodcaller("isoformat", " ", "microseconds")


@lru_cache(maxsize=128)
def _plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> tuple[str, BatchConverter] | None:
    """A positional INSERT and a batch converter that skip Core's per-row parameter work.

    Core's executemany spends several microseconds per row building and processing
    parameters, which dominated the demo seed. Here the rows are cut into columns, each
    column goes through its type's bind processor in one pass, and the DBAPI gets plain
    tuples: the stored values are what Core would have written. Returns None (use Core)
    for unknown keys, client-side defaults of missing columns, or named paramstyles.
    """
    if dialect.paramstyle not in ("qmark", "format") or not keys or any(k not in table.c for k in keys):
        return None
    if any(c.key not in keys and (c.default is not None or c.onupdate is not None) for c in table.c):
        return None
    compiled = table.insert().compile(dialect=dialect, column_keys=list(keys))
    order = compiled.positiontup
    if order is None or sorted(order) != sorted(keys):
        return None
    getters = [itemgetter(key) for key in order]
    converters = [_column_converter(table.c[key].type, dialect) for key in order]

    def to_tuples(batch: Sequence[Mapping[str, object]]) -> list[tuple[Any, ...]]:
        columns = []
        for get, convert in zip(getters, converters):
            values = list(map(get, batch))
            columns.append(convert(values) if convert else values)
        return list(zip(*columns))

    return compiled.string, to_tuples


def _column_converter(sqltype: TypeEngine[Any], dialect: Dialect) -> ColumnConverter | None:
    """Applies the type's bind processor to a column; C-level shortcuts for the hot types.

    A shortcut is taken only when it gives what the processor gives on a probe value (SQLite
    stores dates and datetimes as these ISO strings unless a type overrides the format) and
    the column holds only the plain values it handles; anything else goes through `process`.
    """
    impl = sqltype.dialect_impl(dialect)
    process = impl.bind_processor(dialect)
    if process is None:
        return None

    def generic(values: Values) -> Values:
        return list(map(process, values))

    try:
        if isinstance(impl, DateTime) and process(_PROBE_DATETIME) == _ISO_DATETIME(_PROBE_DATETIME):

            def datetimes(values: Values) -> Values:
                if set(map(type, values)) == {datetime} and set(map(attrgetter("tzinfo"), values)) == {None}:
                    return list(map(_ISO_DATETIME, values))
                return generic(values)

            return datetimes
        if isinstance(impl, Date) and process(_PROBE_DATE) == _PROBE_DATE.isoformat():

            def dates(values: Values) -> Values:
                return list(map(date.isoformat, values)) if set(map(type, values)) == {date} else generic(values)

            return dates
        if isinstance(impl, Boolean):
            lookup = {True: process(True), False: process(False)}

            def booleans(values: Values) -> Values:
                return list(map(lookup.__getitem__, values)) if set(values) <= lookup.keys() else generic(values)

            return booleans
    except (TypeError, ValueError):
        pass
    return generic
