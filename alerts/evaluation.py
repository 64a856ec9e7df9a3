"""Evaluating a tenant's rules: when its data changes (seed, ingestion) and on a schedule.

A rule is judged on the last `recent_periods` whole periods of its granularity that end on or
before the tenant's latest data day (metrics.md, "Alerts") and before today (UTC); a period that crosses the rule
fires once, the unique (rule, period) row making that hold across processes and restarts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from loaders.alerts import RuleRecord, fired_periods, record_firing, rules_of
from loaders.dataloaders import Loaders
from loaders.facts import TenantRow
from core.calendar import DayRange
from core.vocabulary import Granularity
from resolvers.anomalies import anomalies
from core.vocabulary import Metric
from core.calendar import next_period, period_of
from resolvers.series import series

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Firing:
    rule_id: int
    start: date
    value: float
    fired_at: datetime  # naive UTC, as stored
    delivery: str  # PENDING (a webhook to call) or NONE


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def recent_whole_periods(latest: date, granularity: Granularity, count: int) -> list[date]:
    """Starts of the last `count` whole periods ending on or before `latest`, oldest first."""
    start = period_of(latest, granularity)
    if next_period(start, granularity) - timedelta(days=1) > latest:
        start = period_of(start - timedelta(days=1), granularity)
    starts = [start]
    while len(starts) < count:
        starts.insert(0, period_of(starts[0] - timedelta(days=1), granularity))
    return starts


def crosses(rule: RuleRecord, value: float | None) -> bool:
    if value is None or rule.threshold is None:
        return False
    return value > rule.threshold if rule.condition == "ABOVE" else value < rule.threshold


async def _values(loaders: Loaders, tenant: TenantRow, rule: RuleRecord, starts: list[date]) -> dict[date, float]:
    granularity = Granularity(rule.granularity)
    metric = Metric(rule.metric)
    days = DayRange(starts[0], next_period(starts[-1], granularity) - timedelta(days=1))
    if rule.condition == "ANOMALY":
        flags = await anomalies(loaders, tenant, metric, days, granularity, tenant.currency)
        return {flag.start: flag.value for flag in flags}
    points = await series(loaders, tenant, metric, days, granularity, tenant.currency)
    return {p.start: p.value for p in points if crosses(rule, p.value)}  # type: ignore[misc]


async def evaluate_tenant(engine: AsyncEngine, tenant_id: str, recent_periods: int = 2) -> list[Firing]:
    """Fires every active rule of the tenant that its recent whole periods cross; new firings only."""
    rules = await rules_of(engine, [tenant_id], active_only=True)
    if not rules:
        return []
    loaders = Loaders(engine)
    tenant = await loaders.tenants.load(tenant_id)
    span = await loaders.data_ranges.load(tenant_id)
    if tenant is None or span is None:
        return []
    done = await fired_periods(engine, [rule.id for rule in rules])
    new: list[Firing] = []
    now = utcnow()
    # a period still under way is not whole: today counts from tomorrow on, even with data today
    latest = min(span[1], now.date() - timedelta(days=1))
    for rule in rules:
        starts = recent_whole_periods(latest, Granularity(rule.granularity), recent_periods)
        if all((rule.id, start) in done for start in starts):
            continue
        try:
            values = await _values(loaders, tenant, rule, starts)
        except Exception:  # one broken rule (say, a currency without rates) must not stop the others
            log.exception("alert rule %s of tenant %s could not be evaluated", rule.id, tenant_id)
            continue
        for start in starts:
            if start in values and (rule.id, start) not in done:
                if await record_firing(engine, rule, start, values[start], now):
                    new.append(Firing(rule.id, start, values[start], now, "PENDING" if rule.webhook_url else "NONE"))
    await loaders.settle()
    return new
