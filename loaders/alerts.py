"""SQL of alert rules and alert events (the events carry their webhook delivery state)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from loaders.periods import as_date
from loaders.tables import alert_events, alert_rules


@dataclass(frozen=True)
class RuleRecord:
    id: int
    tenant_id: str
    metric: str
    granularity: str
    condition: str
    threshold: float | None
    webhook_url: str | None
    secret: str
    active: bool
    created_at: datetime
    last_fired_at: datetime | None


@dataclass(frozen=True)
class EventRecord:
    id: int
    rule_id: int
    tenant_id: str
    metric: str
    start: date
    value: float
    fired_at: datetime
    delivery: str
    attempts: int = 0


def _rule(row: object) -> RuleRecord:
    m = row._mapping  # type: ignore[attr-defined]
    return RuleRecord(
        int(m["id"]), m["tenant_id"], m["metric"], m["granularity"], m["condition"], m["threshold"],
        m["webhook_url"], m["secret"], bool(m["active"]), m["created_at"], m["last_fired_at"],
    )


def _event(row: object) -> EventRecord:
    m = row._mapping  # type: ignore[attr-defined]
    return EventRecord(
        int(m["id"]), int(m["rule_id"]), m["tenant_id"], m["metric"], as_date(m["period_start"]), float(m["value"]),
        m["fired_at"], m["delivery"], int(m["attempts"]),
    )


async def insert_rule(engine: AsyncEngine, values: dict[str, object]) -> RuleRecord:
    async with engine.begin() as conn:
        result = await conn.execute(insert(alert_rules).values(**values))
        rule_id = result.inserted_primary_key[0]
        row = (await conn.execute(select(alert_rules).where(alert_rules.c.id == rule_id))).one()
    return _rule(row)


def rules_query(tenant_ids: Sequence[str], active_only: bool = False) -> Select:
    query = select(alert_rules).where(alert_rules.c.tenant_id.in_(tenant_ids)).order_by(alert_rules.c.id)
    if active_only:
        query = query.where(alert_rules.c.active.is_(True))
    return query


def rule_of(row: object) -> RuleRecord:
    return _rule(row)


def event_of(row: object) -> EventRecord:
    return _event(row)


async def rules_of(engine: AsyncEngine, tenant_ids: Sequence[str], active_only: bool = False) -> list[RuleRecord]:
    async with engine.connect() as conn:
        return [_rule(row) for row in (await conn.execute(rules_query(tenant_ids, active_only))).all()]


async def tenants_with_rules(engine: AsyncEngine) -> list[str]:
    query = select(alert_rules.c.tenant_id).where(alert_rules.c.active.is_(True)).distinct()
    async with engine.connect() as conn:
        return sorted(row[0] for row in (await conn.execute(query)).all())


async def delete_rule(engine: AsyncEngine, tenant_id: str, rule_id: int) -> bool:
    """Removes the rule and its events (pending deliveries included); False when not found."""
    async with engine.begin() as conn:
        found = await conn.execute(
            delete(alert_rules).where(alert_rules.c.tenant_id == tenant_id, alert_rules.c.id == rule_id)
        )
        if found.rowcount:
            await conn.execute(delete(alert_events).where(alert_events.c.rule_id == rule_id))
        return bool(found.rowcount)


async def record_firing(engine: AsyncEngine, rule: RuleRecord, start: date, value: float, now: datetime) -> bool:
    """Stores the event unless the rule already fired for that period (the unique constraint
    decides, also between processes); True when it is new."""
    delivery = "PENDING" if rule.webhook_url else "NONE"
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(alert_events).values(
                    rule_id=rule.id, tenant_id=rule.tenant_id, metric=rule.metric, period_start=start, value=value,
                    fired_at=now, delivery=delivery, attempts=0, next_attempt_at=now if rule.webhook_url else None,
                )
            )
            await conn.execute(update(alert_rules).where(alert_rules.c.id == rule.id).values(last_fired_at=now))
    except IntegrityError:
        return False
    return True


async def fired_periods(engine: AsyncEngine, rule_ids: Sequence[int]) -> set[tuple[int, date]]:
    query = select(alert_events.c.rule_id, alert_events.c.period_start).where(alert_events.c.rule_id.in_(rule_ids))
    async with engine.connect() as conn:
        return {(int(r[0]), as_date(r[1])) for r in (await conn.execute(query)).all()}


def events_query(tenant_ids: Sequence[str], start: datetime, end: datetime) -> Select:
    """Firings of the tenants with fired_at in [start, end), newest first."""
    e = alert_events.c
    return (
        select(alert_events)
        .where(e.tenant_id.in_(tenant_ids), e.fired_at >= start, e.fired_at < end)
        .order_by(e.fired_at.desc(), e.period_start.desc(), e.id.desc())
    )


async def due_deliveries(engine: AsyncEngine, now: datetime, limit: int) -> list[tuple[EventRecord, RuleRecord]]:
    e, r = alert_events.c, alert_rules.c
    query = (
        select(alert_events, alert_rules.c.webhook_url, alert_rules.c.secret)
        .join(alert_rules, r.id == e.rule_id)
        .where(e.delivery == "PENDING", e.next_attempt_at <= now)
        .order_by(e.next_attempt_at, e.id)
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    out = []
    for row in rows:
        event = _event(row)
        m = row._mapping
        rule = RuleRecord(event.rule_id, event.tenant_id, event.metric, "", "", None, m["webhook_url"], m["secret"],
                          True, event.fired_at, None)
        out.append((event, rule))
    return out


async def mark_delivery(
    engine: AsyncEngine, event_id: int, delivery: str, attempts: int, next_attempt_at: datetime | None,
    error: str | None,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(alert_events)
            .where(and_(alert_events.c.id == event_id, alert_events.c.delivery == "PENDING"))
            .values(delivery=delivery, attempts=attempts, next_attempt_at=next_attempt_at,
                    last_error=None if error is None else error[:500])
        )


async def pending_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).select_from(alert_events).where(alert_events.c.delivery == "PENDING")
        return int((await conn.execute(query)).scalar_one())
