"""SQL of retention policies: set, list, apply (drop raw rows, keep their rollups), and the cutoffs
reads of raw rows respect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from loaders.periods import as_date
from loaders.rollup_refresh import RETAINED, bump_version, rebuild
from loaders.rollup_tables import rollup_state
from loaders.tables import pageviews, retention_policies, surveys


@dataclass(frozen=True)
class Policy:
    tenant_id: str
    keep_days: int
    cutoff: datetime | None


async def set_policy(engine: AsyncEngine, tenant_id: str, keep_days: int) -> None:
    p = retention_policies.c
    async with engine.begin() as conn:
        found = await conn.execute(update(retention_policies).where(p.tenant_id == tenant_id).values(keep_days=keep_days))
        if not found.rowcount:
            await conn.execute(retention_policies.insert().values(tenant_id=tenant_id, keep_days=keep_days))


async def remove_policy(engine: AsyncEngine, tenant_id: str) -> bool:
    """Stops dropping rows; what was dropped stays dropped (the cutoff goes with the policy only
    if nothing was ever dropped)."""
    p = retention_policies.c
    async with engine.begin() as conn:
        result = await conn.execute(delete(retention_policies).where(p.tenant_id == tenant_id, p.cutoff.is_(None)))
        return bool(result.rowcount)


async def policies(engine: AsyncEngine) -> list[Policy]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(retention_policies).order_by(retention_policies.c.tenant_id))).all()
    return [Policy(r.tenant_id, int(r.keep_days), r.cutoff) for r in rows]


async def apply_policy(engine: AsyncEngine, policy: Policy, cutoff: datetime) -> dict[str, int]:
    """Drops the tenant's raw pageviews and survey answers before `cutoff` and records it, in one
    transaction, keeping their daily rollups: the days about to be dropped are rebuilt from their
    raw rows first, so the kept rollups answer exactly what the raw rows did. From then on no
    rebuild touches those days (loaders/rollup_refresh.py clamps to the cutoff). The cutoff never
    moves back; rows that arrived later for days already dropped are removed uncounted."""
    moved = policy.cutoff is None or cutoff > policy.cutoff
    cutoff = cutoff if moved or policy.cutoff is None else policy.cutoff
    tenant_id = policy.tenant_id
    async with engine.begin() as conn:
        if moved:
            # the cutoff still in the table is the old one: only the newly dropped days are rebuilt
            for source in RETAINED:
                await rebuild(conn, tenant_id, source, [(None, cutoff.date() - timedelta(days=1))])
        views = await conn.execute(delete(pageviews).where(pageviews.c.tenant_id == tenant_id, pageviews.c.ts < cutoff))
        answers = await conn.execute(delete(surveys).where(surveys.c.tenant_id == tenant_id, surveys.c.ts < cutoff))
        await conn.execute(
            update(retention_policies).where(retention_policies.c.tenant_id == tenant_id).values(cutoff=cutoff))
        # the change check must not take the drop for an outside delete (and rebuild the tenant);
        # shifted rather than re-read, so rows an ETL appended unannounced are still noticed
        for table, removed in ((pageviews, views.rowcount), (surveys, answers.rowcount)):
            s = rollup_state.c
            await conn.execute(update(rollup_state).where(s.tenant_id == tenant_id, s.source == table.name)
                               .values(row_count=s.row_count - removed))
        await bump_version(conn, tenant_id)
    return {"pageviews": views.rowcount, "surveys": answers.rowcount}


def cutoffs_query(ids: Sequence[str]):  # type: ignore[no-untyped-def]
    p = retention_policies.c
    return select(p.tenant_id, p.cutoff).where(p.tenant_id.in_(ids), p.cutoff.is_not(None))


def first_kept_day(cutoff: object) -> date:
    return cutoff.date() if isinstance(cutoff, datetime) else as_date(cutoff)
