"""Rebuilding rollup rows from raw rows, for whole UTC days, inside the caller's transaction.

A refresh deletes a tenant's rollup rows of some days and inserts them again from the raw rows
of the same days (INSERT ... SELECT, so nothing travels through Python). Run in one
transaction it is atomic, and running it twice gives the same rows: an interrupted refresh
leaves the old rows and can simply be re-run.

Repeat bookings depend on each customer's first confirmed booking, which a write on one day
can move for bookings on other days; `_update_firsts` finds those customers and adds the days
whose repeat flags may change.

Raw pageviews and survey answers before a tenant's retention cutoff are gone while their
rollups stay (loaders/retention.py): every rebuild of those two sources is clamped to the days
at or after the cutoff, so nothing rebuilds a dropped day from the empty raw rows.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from loaders import booking_packs, survey_packs, traffic_packs
from loaders.periods import as_date
from loaders.rollup_members import IN_CHUNK, number_span, prune_members
from loaders.rollup_selects import (
    RAW,
    ROLLUP,
    SELECTS,
    Span,
    raw_where,
    rollup_where,
)
from loaders.rollup_tables import (
    customer_firsts,
    data_versions,
    rollup_state,
)
from loaders.tables import bookings, retention_policies

SOURCES = ("pageviews", "bookings", "surveys")
# the packs of each rollup, rebuilt with it
PACKS = {"pageviews": traffic_packs.repack_in, "bookings": booking_packs.repack_in, "surveys": survey_packs.repack_in}
EVERYTHING: list[Span] = [(None, None)]
# the sources `retention apply` drops raw rows of (bookings are kept whole)
RETAINED = ("pageviews", "surveys")


def runs(days: Iterable[date]) -> list[Span]:
    """Consecutive days merged into spans, so a refresh runs a statement per span, not per day."""
    spans: list[Span] = []
    for day in sorted(set(days)):
        if spans and spans[-1][1] == day - timedelta(days=1):
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


async def rebuild(conn: AsyncConnection, tenant_id: str, source: str, spans: Sequence[Span]) -> None:
    """Replace the tenant's rollup rows of `source` on the spans' days."""
    if source == "bookings":
        extra = await _update_firsts(conn, tenant_id, spans)
        spans = [*spans, *runs(day for day in extra if not any(_covers(span, day) for span in spans))]
    else:
        spans = await kept_spans(conn, tenant_id, source, spans)
    table = ROLLUP[source]
    names = [column.name for column in table.c]
    for span in spans:
        if source == "pageviews":
            await number_span(conn, tenant_id, span)
        await conn.execute(delete(table).where(*rollup_where(source, tenant_id, span)))
        await conn.execute(insert(table).from_select(names, SELECTS[source](tenant_id, span)))
    await PACKS[source](conn, tenant_id, spans)
    if source == "pageviews":
        if list(spans) == EVERYTHING:
            await prune_members(conn, tenant_id)
    await bump_version(conn, tenant_id)


async def kept_from_in(conn: AsyncConnection, tenant_id: str) -> date | None:
    """The first day whose raw pageviews and survey answers a tenant still holds (None: all)."""
    p = retention_policies.c
    cutoff = (await conn.execute(select(p.cutoff).where(p.tenant_id == tenant_id))).scalar()
    return None if cutoff is None else day_of(cutoff)


async def kept_spans(conn: AsyncConnection, tenant_id: str, source: str, spans: Sequence[Span]) -> list[Span]:
    """The spans cut to the days at or after the tenant's retention cutoff, for dropped sources:
    the rollups of earlier days are all that is left of them and must not be rebuilt."""
    first = await kept_from_in(conn, tenant_id) if source in RETAINED else None
    if first is None:
        return list(spans)
    return [(max(start or first, first), end) for start, end in spans if end is None or end >= first]


async def bump_version(conn: AsyncConnection, tenant_id: str) -> None:
    """A new data version for the tenant, in the caller's transaction (an upsert).

    Random rather than counted: two stores sharing one Redis never meet on the same version.
    """
    version = secrets.randbits(62) + 1
    if conn.dialect.name == "sqlite":
        statement: Any = sqlite_insert(data_versions).values(tenant_id=tenant_id, version=version)
        statement = statement.on_conflict_do_update(index_elements=["tenant_id"], set_={"version": version})
    else:
        statement = mysql_insert(data_versions).values(tenant_id=tenant_id, version=version)
        statement = statement.on_duplicate_key_update(version=version)
    await conn.execute(statement)


async def _update_firsts(conn: AsyncConnection, tenant_id: str, spans: Sequence[Span]) -> set[date]:
    """Bring the first confirmed booking of the spans' customers up to date.

    Returns the days whose bookings' repeat flags may have changed: those of each changed customer's bookings after the earlier of old and new first.
    """
    b, f = bookings.c, customer_firsts.c
    whole = list(spans) == EVERYTHING
    touched = (
        select(b.customer_id)
        .where(or_(*(and_(*raw_where("bookings", tenant_id, span)) for span in spans)))
        .distinct()
        .scalar_subquery()
    )
    new_query = select(b.customer_id, func.min(b.booked_at)).where(
        b.tenant_id == tenant_id, b.status == "confirmed"
    )
    old_query = select(f.customer_id, f.first_confirmed_at).where(f.tenant_id == tenant_id)
    if not whole:
        new_query = new_query.where(b.customer_id.in_(touched))
        old_query = old_query.where(f.customer_id.in_(touched))
    new = {c: _as_datetime(t) for c, t in await conn.execute(new_query.group_by(b.customer_id))}
    old = {c: _as_datetime(t) for c, t in await conn.execute(old_query)}
    changed = {c: min(t for t in (old.get(c), new.get(c)) if t is not None) for c in old.keys() | new.keys()
               if old.get(c) != new.get(c)}
    days: set[date] = set()
    ids = sorted(changed)
    for i in range(0, len(ids), IN_CHUNK):
        chunk = ids[i : i + IN_CHUNK]
        await conn.execute(delete(customer_firsts).where(f.tenant_id == tenant_id, f.customer_id.in_(chunk)))
        rows = [{"tenant_id": tenant_id, "customer_id": c, "first_confirmed_at": new[c]} for c in chunk if c in new]
        if rows:
            await conn.execute(insert(customer_firsts), rows)
        if whole:
            continue  # every day is rebuilt anyway
        later = select(b.customer_id, b.booked_at).where(b.tenant_id == tenant_id, b.customer_id.in_(chunk))
        for customer, booked_at in await conn.execute(later):
            if _as_datetime(booked_at) > changed[customer]:
                days.add(_as_datetime(booked_at).date())
    return days


def _covers(span: Span, day: date) -> bool:
    return (span[0] is None or span[0] <= day) and (span[1] is None or day <= span[1])


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


async def record_state(conn: AsyncConnection, tenant_id: str, source: str) -> tuple[int, int]:
    """Remember what the rollups are built from: read before rebuilding (see loaders/rollups.py).

    Rows added while the rebuild runs have higher ids (or change the count), so the next
    change check sees them; none can be counted here and missed by the rebuild.
    """
    table = RAW[source]
    count, top = (
        await conn.execute(
            select(func.count(), func.coalesce(func.max(table.c.id), 0)).where(table.c.tenant_id == tenant_id)
        )
    ).one()
    s = rollup_state.c
    await conn.execute(delete(rollup_state).where(s.tenant_id == tenant_id, s.source == source))
    await conn.execute(
        insert(rollup_state).values(
            tenant_id=tenant_id, source=source, row_count=int(count), max_id=int(top), refreshed_at=datetime.utcnow()
        )
    )
    return int(count), int(top)


async def refresh_days_in(
    conn: AsyncConnection, tenant_id: str, days: Iterable[date], sources: Sequence[str] = SOURCES
) -> None:
    """The in-transaction updater for writers: rebuild these days of these sources."""
    spans = runs(days)
    if spans:
        for source in sources:
            await rebuild(conn, tenant_id, source, spans)


async def refresh_tenant_in(
    conn: AsyncConnection, tenant_id: str, since: date | None = None, sources: Sequence[str] = SOURCES
) -> None:
    """Rebuild a tenant's rollups from `since` on (everything without it) and record the state."""
    for source in sources:
        await record_state(conn, tenant_id, source)
        await rebuild(conn, tenant_id, source, [(since, None)])


async def tenants_with_data(conn: AsyncConnection) -> list[str]:
    """Every tenant id found in a fact table or in the rollup state (whose rollups may be stale)."""
    parts = [select(table.c.tenant_id).distinct() for table in RAW.values()]
    parts.append(select(rollup_state.c.tenant_id).distinct())
    found: set[str] = set()
    for part in parts:
        found.update(row[0] for row in await conn.execute(part))
    return sorted(found)


def day_of(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else as_date(value)
