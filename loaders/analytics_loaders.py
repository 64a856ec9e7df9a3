"""Per-request DataLoaders of the segmented funnel, attribution, retention cohorts and alerts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from strawberry.dataloader import DataLoader

from loaders.alerts import EventRecord, RuleRecord, event_of, events_query, rule_of, rules_query
from loaders.batching import by_tenant
from loaders.facts import BookingDay
from core.calendar import DayRange
from core.vocabulary import AttributionModel, Dimension, Granularity
from loaders.periods import as_date
from loaders.reads import Reads
from loaders.segments import attribution_query, funnel_by_query, retention_query

Rows = Callable[[Any], Awaitable[Sequence[Any]]]
FunnelByKey = tuple[str, DayRange, Dimension]
AttributionKey = tuple[str, DayRange, Dimension, AttributionModel, int]
RetentionKey = tuple[str, DayRange, Granularity]


@dataclass(frozen=True)
class CohortVisit:
    """A cohort customer's confirmed booking period (their own cohort period included)."""

    customer_id: str
    cohort: date  # whole period of the first confirmed booking ever
    period: date  # whole period of a confirmed booking inside the range


class AnalyticsLoaders:
    def __init__(self, rows: Rows, reads: Reads | None = None) -> None:
        self._rows = rows
        self.reads = reads or Reads()
        self.funnel_by: DataLoader[FunnelByKey, dict[str, tuple[int, ...]]] = DataLoader(self._funnel_by)
        self.attribution: DataLoader[AttributionKey, list[BookingDay]] = DataLoader(self._attribution)
        self.retention: DataLoader[RetentionKey, list[CohortVisit]] = DataLoader(self._retention)
        self.alert_rules: DataLoader[str, list[RuleRecord]] = DataLoader(self._alert_rules)
        self.alert_events: DataLoader[tuple[str, DayRange], list[EventRecord]] = DataLoader(self._alert_events)

    async def _funnel_by(self, keys: list[FunnelByKey]) -> list[dict[str, tuple[int, ...]]]:
        async def fetch(ids: list[str], rest: tuple[Any, ...]) -> dict[str, dict[str, tuple[int, ...]]]:
            days, by = rest
            self.reads.touch(ids, days.end)
            out: dict[str, dict[str, tuple[int, ...]]] = defaultdict(dict)
            for tenant_id, segment, *steps in await self._rows(funnel_by_query(ids, days, by)):
                out[tenant_id][str(segment)] = tuple(int(n) for n in steps)
            return out

        return await by_tenant(keys, fetch, dict)

    async def _attribution(self, keys: list[AttributionKey]) -> list[list[BookingDay]]:
        """Rows as BookingDay with `channel` = the credited key, so revenue sums as everywhere."""
        async def fetch(ids: list[str], rest: tuple[Any, ...]) -> dict[str, list[BookingDay]]:
            days, by, model, lookback = rest
            self.reads.touch(ids, days.end)
            out: dict[str, list[BookingDay]] = defaultdict(list)
            for tenant_id, key, day, currency, count, cents in await self._rows(
                attribution_query(ids, days, by, model, lookback)
            ):
                amount = Decimal(int(cents or 0)).scaleb(-2)
                out[tenant_id].append(BookingDay(as_date(day), currency, str(key), int(count), 0, 0, amount, 0))
            return out

        return await by_tenant(keys, fetch, list)

    async def _retention(self, keys: list[RetentionKey]) -> list[list[CohortVisit]]:
        async def fetch(ids: list[str], rest: tuple[Any, ...]) -> dict[str, list[CohortVisit]]:
            days, granularity = rest
            self.reads.touch(ids, days.end)
            out: dict[str, list[CohortVisit]] = defaultdict(list)
            for tenant_id, customer_id, cohort, period in await self._rows(retention_query(ids, days, granularity)):
                out[tenant_id].append(CohortVisit(customer_id, as_date(cohort), as_date(period)))
            return out

        return await by_tenant(keys, fetch, list)

    async def _alert_rules(self, ids: list[str]) -> list[list[RuleRecord]]:
        self.reads.outside_versions()  # rules change through mutations that bump no data version
        found: dict[str, list[RuleRecord]] = defaultdict(list)
        for row in await self._rows(rules_query(sorted(set(ids)))):
            rule = rule_of(row)
            found[rule.tenant_id].append(rule)
        return [found.get(tenant_id, []) for tenant_id in ids]

    async def _alert_events(self, keys: list[tuple[str, DayRange]]) -> list[list[EventRecord]]:
        self.reads.outside_versions()
        async def fetch(ids: list[str], rest: tuple[Any, ...]) -> dict[str, list[EventRecord]]:
            (days,) = rest
            out: dict[str, list[EventRecord]] = defaultdict(list)
            for row in await self._rows(events_query(ids, *days.bounds())):
                event = event_of(row)
                out[event.tenant_id].append(event)
            return out

        return await by_tenant(keys, fetch, list)
