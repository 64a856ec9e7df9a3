"""Packs: rollup rows stored again as fixed-size binary records, one BLOB per tenant and period.

Reading a range's packs costs the driver a few rows instead of thousands (aiomysql parses every
column in Python), and numpy decodes them in one call. A pack is derived from its rollup rows
and nothing else, in the transaction of every write to them, so it is exact whenever they are.
Dimension values are stored as rollup_labels codes (0: NULL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Table, and_, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from loaders.rollup_tables import rollup_labels

L = rollup_labels.c
BLOB = 65_535  # the smallest BLOB of every dialect
BATCH = 500  # parts per INSERT


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


def coded(table: Table, names: Sequence[str]) -> tuple[Any, list[Any]]:
    """`table` joined to its labels, and the code column of each of `names` (0 for NULL)."""
    joined: Any = table
    codes = []
    for name in names:
        label = rollup_labels.alias(f"l_{name}")
        joined = joined.outerjoin(label, and_(label.c.dimension == name, label.c.value == table.c[name]))
        codes.append(func.coalesce(label.c.code, 0))
    return joined, codes


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


def labels_query() -> Any:
    """Every label: a store holds few (channels, devices, countries, currencies)."""
    return select(L.code, L.value)
