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

from sqlalchemy import and_, case, delete, distinct, func, insert, literal, or_, select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core.vocabulary import FUNNEL_STEPS
from core.vocabulary import Granularity
from loaders import booking_packs, survey_packs, traffic_packs
from loaders.periods import as_date, period_start
from loaders.rollup_tables import (
    SESSION,
    VISITOR,
    customer_firsts,
    data_versions,
    rollup_bookings,
    rollup_members,
    rollup_state,
    rollup_surveys,
    rollup_traffic,
)
from loaders.tables import bookings, pageviews, retention_policies, surveys

SOURCES = ("pageviews", "bookings", "surveys")
RAW = {"pageviews": pageviews, "bookings": bookings, "surveys": surveys}
TS = {"pageviews": pageviews.c.ts, "bookings": bookings.c.booked_at, "surveys": surveys.c.ts}
ROLLUP = {"pageviews": rollup_traffic, "bookings": rollup_bookings, "surveys": rollup_surveys}
# the packs of each rollup, rebuilt with it
PACKS = {"pageviews": traffic_packs.repack_in, "bookings": booking_packs.repack_in, "surveys": survey_packs.repack_in}
# (first day, last day); None on either side is open
Span = tuple[date | None, date | None]
EVERYTHING: list[Span] = [(None, None)]
IN_CHUNK = 500  # ids per IN list
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


def _raw_where(source: str, tenant_id: str, span: Span) -> list[Any]:
    table, ts = RAW[source], TS[source]
    clauses = [table.c.tenant_id == tenant_id]
    if span[0] is not None:
        clauses.append(ts >= datetime.combine(span[0], datetime.min.time()))
    if span[1] is not None:
        clauses.append(ts < datetime.combine(span[1] + timedelta(days=1), datetime.min.time()))
    return clauses


def _rollup_where(source: str, tenant_id: str, span: Span) -> list[Any]:
    table = ROLLUP[source]
    clauses = [table.c.tenant_id == tenant_id]
    if span[0] is not None:
        clauses.append(table.c.day >= span[0])
    if span[1] is not None:
        clauses.append(table.c.day <= span[1])
    return clauses


def _traffic_select(tenant_id: str, span: Span) -> Any:
    return traffic_rows(_raw_where("pageviews", tenant_id, span))


def traffic_rows(where: Sequence[Any], numbered: bool = True) -> Any:
    """The rollup_traffic rows of the pageviews `where` selects (`n` first unless not `numbered`)."""
    pv = pageviews.c
    visitors, sessions = rollup_members.alias("mv"), rollup_members.alias("ms")
    visitor, session = visitors.c, sessions.c
    day = period_start(pv.ts, Granularity.DAY)
    # distinct powers of two: their SUM(DISTINCT) is their bitwise OR, on every dialect
    bit = case({step: 1 << i for i, step in enumerate(FUNNEL_STEPS)}, value=pv.step, else_=0)
    dims = [session.num, visitor.num, pv.channel, pv.device, pv.country, pv.logged_in]
    n = func.row_number().over(partition_by=day, order_by=dims)  # ordered: a rebuild gives the same rows
    joined = pageviews.join(
        visitors, and_(visitor.tenant_id == pv.tenant_id, visitor.kind == VISITOR, visitor.member == pv.visitor_id)
    ).join(
        sessions, and_(session.tenant_id == pv.tenant_id, session.kind == SESSION, session.member == pv.session_id)
    )
    return (
        select(pv.tenant_id, day, *([n] if numbered else []), *dims, func.sum(distinct(bit)), func.count())
        .select_from(joined)
        .where(*where)
        .group_by(pv.tenant_id, day, *dims)
        # pageviews first, then one unique-key lookup per id: statistics taken while the numbers
        # table was empty (or rows it got in this very transaction) made MariaDB start from the
        # numbers and scan the tenant's pageviews once per session (minutes for 20k rows)
        .prefix_with("STRAIGHT_JOIN", dialect="mysql")
        .prefix_with("STRAIGHT_JOIN", dialect="mariadb")
    )


async def _number_members(conn: AsyncConnection, tenant_id: str, span: Span) -> None:
    await number_members(conn, _raw_where("pageviews", tenant_id, span))


async def number_members(conn: AsyncConnection, where: Sequence[Any]) -> None:
    """Give every visitor and session id of the pageviews `where` selects a number
    (rollup_members), once.

    INSERT IGNORE / OR IGNORE against the unique key: ids numbered before keep their number.
    """
    pv = pageviews.c
    for kind, column in ((VISITOR, pv.visitor_id), (SESSION, pv.session_id)):
        ids = select(pv.tenant_id, literal(kind), column).where(*where).distinct()
        statement = (
            insert(rollup_members)
            .from_select(["tenant_id", "kind", "member"], ids)
            .prefix_with("IGNORE", dialect="mysql")
            .prefix_with("IGNORE", dialect="mariadb")
            .prefix_with("OR IGNORE", dialect="sqlite")
        )
        await conn.execute(statement)


async def _prune_members(conn: AsyncConnection, tenant_id: str) -> None:
    """Drop the numbers of ids no rollup row uses any more (after erasure or deleted rows)."""
    m, r = rollup_members.c, rollup_traffic.c
    for kind, column in ((VISITOR, r.visitor_num), (SESSION, r.session_num)):
        # an anti-join against the used numbers, built once (a NOT IN or NOT EXISTS in the
        # DELETE runs as a dependent subquery on MariaDB: one scan of the rollup rows per member)
        used = select(column.label("num")).where(r.tenant_id == tenant_id).distinct().subquery()
        unused = (
            select(m.num)
            .outerjoin(used, used.c.num == m.num)
            .where(m.tenant_id == tenant_id, m.kind == kind, used.c.num.is_(None))
        )
        nums = [num for (num,) in await conn.execute(unused)]
        for i in range(0, len(nums), IN_CHUNK):
            await conn.execute(delete(rollup_members).where(m.num.in_(nums[i : i + IN_CHUNK])))


def _bookings_select(tenant_id: str, span: Span) -> Any:
    b, f = bookings.c, customer_firsts.c
    day = period_start(b.booked_at, Granularity.DAY)
    confirmed = b.status == "confirmed"
    repeat = and_(confirmed, f.first_confirmed_at < b.booked_at)
    joined = bookings.outerjoin(
        customer_firsts, and_(f.tenant_id == b.tenant_id, f.customer_id == b.customer_id)
    )
    return (
        select(
            b.tenant_id,
            day,
            b.currency,
            b.channel,
            func.sum(case((confirmed, 1), else_=0)),
            func.sum(case((b.status == "cancelled", 1), else_=0)),
            func.sum(case((confirmed, b.nights * b.rooms), else_=0)),
            # whole cents, as the raw path sums them
            func.sum(case((confirmed, func.round(b.amount * 100)), else_=0)),
            func.sum(case((repeat, 1), else_=0)),
        )
        .select_from(joined)
        .where(*_raw_where("bookings", tenant_id, span))
        .group_by(b.tenant_id, day, b.currency, b.channel)
    )


def _surveys_select(tenant_id: str, span: Span) -> Any:
    s = surveys.c
    day = period_start(s.ts, Granularity.DAY)
    return (
        select(
            s.tenant_id,
            day,
            func.count(),
            func.sum(case((s.score >= 9, 1), else_=0)),
            func.sum(case((s.score <= 6, 1), else_=0)),
        )
        .where(*_raw_where("surveys", tenant_id, span))
        .group_by(s.tenant_id, day)
    )


SELECTS = {"pageviews": _traffic_select, "bookings": _bookings_select, "surveys": _surveys_select}


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
            await _number_members(conn, tenant_id, span)
        await conn.execute(delete(table).where(*_rollup_where(source, tenant_id, span)))
        await conn.execute(insert(table).from_select(names, SELECTS[source](tenant_id, span)))
    await PACKS[source](conn, tenant_id, spans)
    if source == "pageviews":
        if list(spans) == EVERYTHING:
            await _prune_members(conn, tenant_id)
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
        .where(or_(*(and_(*_raw_where("bookings", tenant_id, span)) for span in spans)))
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
