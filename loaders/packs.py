"""Packs: rollup rows stored again as fixed-size binary records, one BLOB per tenant and period.

Reading a range's packs costs the driver a few rows instead of thousands (aiomysql parses every
column in Python), and numpy decodes them in one call. A pack is derived from its rollup rows
and nothing else, in the transaction of every write to them, so it is exact whenever they are.
Dimension values are stored as rollup_labels codes (0: NULL).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Select, Table, and_, case, delete, false, func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.calendar import DayRange
from loaders.periods import as_date
from loaders.rollup_tables import rollup_labels

L = rollup_labels.c
BLOB = 65_535  # the smallest BLOB of every dialect
BATCH = 500  # parts per INSERT
# (first day, last day); None on either side is open
Span = tuple[date | None, date | None]


async def label_in(conn: AsyncConnection, table: Table, names: Sequence[str], where: Sequence[Any]) -> None:
    """Give every value of the `names` columns of the rows `where` selects a code, once.

    INSERT IGNORE against the unique key, which compares values with the store's collation:
    values SQL groups as one (on MariaDB "Paid" and "paid") share a code.
    """
    for name in names:
        column = table.c[name]
        values = select(literal(name), column).where(*where, column.is_not(None)).distinct()
        statement = (
            insert(rollup_labels)
            .from_select(["dimension", "value"], values)
            .prefix_with("IGNORE", dialect="mysql")
            .prefix_with("IGNORE", dialect="mariadb")
            .prefix_with("OR IGNORE", dialect="sqlite")
        )
        await conn.execute(statement)


def coded(table: Table, names: Sequence[str], inline: Sequence[str] = ()) -> tuple[Any, list[Any], Any]:
    """`table` joined to its labels; the code column of each of `names` (0 for NULL), or for
    those also `inline`, the label's value itself (the one spelling of values SQL groups as one);
    and whether a row has a value whose label this transaction does not see (`read_coded`)."""
    joined: Any = table
    codes, unseen = [], []
    for name in names:
        label = rollup_labels.alias(f"l_{name}")
        joined = joined.outerjoin(label, and_(label.c.dimension == name, label.c.value == table.c[name]))
        codes.append(label.c.value if name in inline else func.coalesce(label.c.code, 0))
        unseen.append(and_(table.c[name].is_not(None), label.c.code.is_(None)))
    return joined, codes, case((or_(false(), *unseen), 1), else_=0)


async def read_coded(conn: AsyncConnection, statement: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of `statement`, which selects through `coded()` with its `unseen` column last.

    On MariaDB a writer's snapshot predates labels that concurrent writers committed after it:
    `label_in`'s INSERT IGNORE waited for them and skipped them, and a plain read of this
    transaction does not see them (the value would read as NULL). A locking read sees the
    latest committed rows, so the statement is read again that way when that happened.
    """
    rows = (await conn.execute(statement)).all()
    if any(row[-1] for row in rows):
        rows = (await conn.execute(statement.with_for_update(read=True))).all()
        if any(row[-1] for row in rows):
            raise RuntimeError(f"values without labels in rollup_labels: {statement}")
    return [tuple(row[:-1]) for row in rows]


async def insert_parts(
    conn: AsyncConnection, table: Table, tenant_id: str, period: str, records: Mapping[date, list[tuple[Any, ...]]],
    dtype: np.dtype, first_part: Mapping[date, int] | None = None,
) -> None:
    """One pack per period (`period` names its column), split in parts that fit a BLOB."""
    size = BLOB // dtype.itemsize * dtype.itemsize
    values = []
    for start, rows in records.items():
        packed = np.array(rows, dtype=dtype).tobytes()
        first = (first_part or {}).get(start, 0)
        for part, offset in enumerate(range(0, len(packed), size), first):
            values.append({"tenant_id": tenant_id, period: start, "part": part, "records": packed[offset : offset + size]})
    for offset in range(0, len(values), BATCH):
        await conn.execute(insert(table), values[offset : offset + BATCH])


def decode(packs: Sequence[Sequence[Any]], dtype: np.dtype, tenants: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(tenant_id, ..., records) rows: every record, each record's tenant index, and the records per row."""
    sizes = [len(row[-1]) // dtype.itemsize for row in packs]
    records = np.frombuffer(b"".join(row[-1] for row in packs), dtype=dtype)
    tenant = np.repeat(np.array([tenants[row[0]] for row in packs], dtype=np.int64), sizes)
    return records, tenant, sizes


def span_where(day: Any, tenant: Any, tenant_id: str, span: Span) -> list[Any]:
    """The tenant's rows whose `day` column lies in the span (open sides unbounded)."""
    clauses = [tenant == tenant_id]
    if span[0] is not None:
        clauses.append(day >= span[0])
    if span[1] is not None:
        clauses.append(day <= span[1])
    return clauses


def month_spans(spans: Iterable[Span]) -> list[Span]:
    """The spans widened to whole months and merged where they meet."""
    out: list[Span] = []
    for start, end in sorted(spans, key=lambda span: span[0] or date.min):
        first = start.replace(day=1) if start else None
        last = _month_end(end) if end else None
        previous = out[-1] if out else None
        if previous and (previous[1] is None or first is None or first <= previous[1] + timedelta(days=1)):
            out[-1] = (previous[0], None if previous[1] is None or last is None else max(previous[1], last))
        else:
            out.append((first, last))
    return out


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


async def repack_months(
    conn: AsyncConnection, source: Table, packs: Table, tenant_id: str, spans: Iterable[Span], dtype: np.dtype,
    columns: Sequence[str], labelled: Sequence[str] = (), inline: Sequence[str] = (),
) -> None:
    """Rebuild a tenant's month packs (`packs`) of the months the spans touch from its rows of
    `source` (a rollup with a `day`): records of the day's ordinal, the codes of `labelled` (values
    for those `inline`), then `columns`."""
    for span in month_spans(spans):
        where = span_where(source.c.day, source.c.tenant_id, tenant_id, span)
        months = span_where(packs.c.month, packs.c.tenant_id, tenant_id, span)
        await label_in(conn, source, labelled, where)
        await conn.execute(delete(packs).where(*months))
        joined, codes, unseen = coded(source, labelled, inline)
        rows = await read_coded(
            conn, select(source.c.day, *codes, *(source.c[name] for name in columns), unseen).select_from(joined).where(*where)
        )
        by_month: dict[date, list[tuple[Any, ...]]] = defaultdict(list)
        for day, *record in rows:
            day = as_date(day)
            by_month[day.replace(day=1)].append((day.toordinal(), *record))
        await insert_parts(conn, packs, tenant_id, "month", by_month, dtype)


def month_packs_query(packs: Table, ids: Sequence[str], days: DayRange) -> Any:
    """The packs of the months a range touches (their records outside it are the reader's to drop)."""
    c = packs.c
    return select(c.tenant_id, c.records).where(c.tenant_id.in_(ids), c.month >= days.start.replace(day=1), c.month <= days.end)


def inside(records: np.ndarray, tenant: np.ndarray, days: DayRange) -> tuple[np.ndarray, np.ndarray]:
    """The records (and their tenants) of a month pack whose `day` ordinal lies in the range."""
    keep = (records["day"] >= days.start.toordinal()) & (records["day"] <= days.end.toordinal())
    return records[keep], tenant[keep]


def labels_query() -> Any:
    """Every label: a store holds few (channels, devices, countries, currencies)."""
    return select(L.code, L.value)
