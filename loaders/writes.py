"""Idempotent writes of validated rows: duplicate detection, inserts and updates, in the caller's transaction.

Each kind of row has a natural key (the client's id, unique with the tenant) and the columns
that make up its content. A chunk of rows is compared with what is stored under those keys,
then applied in order: an unknown key is inserted, a key stored with the same content is a
duplicate, a key stored with other content is an update where the kind allows it (a booking's
status, an fx rate) and a conflict where it does not (events are immutable). Within one
transaction a later chunk sees the earlier ones' writes, so the outcome is the same as
applying every row one after the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, and_, bindparam, select, tuple_
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from loaders.bulk_insert import insert_batch
from loaders.rollup_refresh import bump_version
from loaders.tables import bookings, fx_rates, pageviews, surveys, tenants

Row = dict[str, Any]
# keys per SELECT: far below SQLite's variable limit, big enough that MariaDB's round trips vanish
LOOKUP_CHUNK = 900


@dataclass(frozen=True)
class WriteSpec:
    """How one kind of row is stored: its table, natural key and content columns."""

    table: Table
    key: tuple[str, ...]
    content: tuple[str, ...]
    mutable: bool  # a stored key with other content is updated (else: a conflict)
    scoped: bool = True  # the key includes tenant_id

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.key, *self.content)


SPECS = {
    "pageviews": WriteSpec(
        pageviews, ("tenant_id", "event_id"),
        ("ts", "visitor_id", "session_id", "step", "channel", "device", "country", "logged_in"), mutable=False,
    ),
    "bookings": WriteSpec(
        bookings, ("tenant_id", "booking_ref"),
        ("booked_at", "customer_id", "visitor_id", "check_in", "nights", "rooms", "amount", "currency", "status",
         "channel"),
        mutable=True,
    ),
    "surveys": WriteSpec(surveys, ("tenant_id", "response_id"), ("ts", "score", "booking_ref"), mutable=False),
    "fx": WriteSpec(fx_rates, ("currency", "day"), ("usd_per_unit",), mutable=True, scoped=False),
}


@dataclass
class ChunkResult:
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    # (position in the chunk, the key column at fault) of rows refused against the stored data
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    # the rows stored or changed by this chunk, in their final state, each with the content
    # stored before this chunk (None for an insert)
    written: list[tuple[Row, dict[str, Any] | None]] = field(default_factory=list)


async def write_chunk(conn: AsyncConnection, kind: str, rows: Sequence[Row]) -> ChunkResult:
    """Applies the rows in order; nothing is committed here (the caller owns the transaction)."""
    spec = SPECS[kind]
    key_of = itemgetter(*spec.key)
    content_of = itemgetter(*spec.content)
    state = await _stored(conn, spec, {key_of(row) for row in rows})
    before = dict(state)
    result = ChunkResult()
    final: dict[Any, Row] = {}
    for position, row in enumerate(rows):
        key, content = key_of(row), _tuple(content_of(row))
        current = state.get(key)
        if current is None:
            result.inserted += 1
        elif current == content:
            result.duplicates += 1
            continue
        elif spec.mutable:
            result.updated += 1
        else:
            result.conflicts.append((position, spec.key[-1]))
            continue
        state[key] = content
        final[key] = row
    inserts = [row for key, row in final.items() if key not in before]
    updates = [row for key, row in final.items() if key in before]
    await insert_batch(conn, spec.table, inserts)
    if updates:
        await conn.execute(_update_statement(spec), [_update_params(spec, row) for row in updates])
    result.written = [
        (row, dict(zip(spec.content, before[key])) if key in before else None) for key, row in final.items()
    ]
    return result


async def _stored(conn: AsyncConnection, spec: WriteSpec, keys: set[Any]) -> dict[Any, tuple[Any, ...]]:
    """The content stored under each of the keys that exist."""
    table = spec.table
    found: dict[Any, tuple[Any, ...]] = {}
    ordered = sorted(keys, key=repr)
    width = len(spec.key)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        part = ordered[start : start + LOOKUP_CHUNK]
        if spec.scoped:
            # one tenant per chunk in practice; grouping keeps the IN list on the indexed id column
            by_tenant: dict[str, list[str]] = {}
            for tenant_id, ident in part:
                by_tenant.setdefault(tenant_id, []).append(ident)
            conditions = [
                and_(table.c.tenant_id == tenant_id, table.c[spec.key[1]].in_(idents))
                for tenant_id, idents in by_tenant.items()
            ]
        else:
            conditions = [tuple_(*(table.c[name] for name in spec.key)).in_(part)]
        for condition in conditions:
            statement = select(*(table.c[name] for name in spec.columns)).where(condition)
            for record in await conn.execute(statement):
                values = tuple(record)
                found[values[:width] if width > 1 else values[0]] = values[width:]
    return found


def _tuple(value: Any) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else (value,)


def _update_statement(spec: WriteSpec) -> Any:
    table = spec.table
    where = and_(*(table.c[name] == bindparam(f"k_{name}") for name in spec.key))
    return table.update().where(where).values({name: bindparam(f"v_{name}") for name in spec.content})


def _update_params(spec: WriteSpec, row: Mapping[str, Any]) -> dict[str, Any]:
    return {**{f"k_{name}": row[name] for name in spec.key}, **{f"v_{name}": row[name] for name in spec.content}}


async def tenant_exists(conn: AsyncConnection, tenant_id: str) -> bool:
    return (await conn.execute(select(tenants.c.id).where(tenants.c.id == tenant_id))).first() is not None


async def rated_currencies(conn: AsyncConnection) -> set[str]:
    """Currencies with at least one fx rate (USD always converts)."""
    return {row[0] for row in await conn.execute(select(fx_rates.c.currency).distinct())} | {"USD"}


async def all_tenant_ids(conn: AsyncConnection) -> list[str]:
    return [row[0] for row in await conn.execute(select(tenants.c.id))]


# MariaDB/MySQL: the transaction was rolled back as a whole and may simply be run again
_RETRYABLE_CODES = {1205, 1213}  # lock wait timeout, deadlock


def is_retryable(error: BaseException) -> bool:
    """A conflict with a concurrent writer that leaves nothing written: a unique key another
    writer stored first, or a deadlock / lock timeout the server resolved by rolling us back."""
    if isinstance(error, IntegrityError):
        return True
    if isinstance(error, OperationalError):
        args = getattr(error.orig, "args", ())
        return bool(args) and args[0] in _RETRYABLE_CODES
    return False


async def lock_tenant(conn: AsyncConnection, tenant_id: str) -> None:
    """Take the tenant's write lock for the rest of the transaction (its data-version row).

    Writers of one tenant then queue instead of interleaving raw inserts with rollup rebuilds of
    the same days, which InnoDB otherwise resolves by killing one of them as a deadlock."""
    await bump_version(conn, tenant_id)
