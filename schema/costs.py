"""What each field costs and which tier it needs, declared once, attached as field metadata.

Weights follow the SQL and CPU a field causes: a KeyMetrics is three batched loads, a chart
one, a series point one unit. See docs/limits.md for the table and worked examples.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from auth.cost import Cost, Scope
from auth.permissions import gate
from core.calendar import EARLIEST_DAY, LATEST_DAY, DayRange, period_starts
from core.vocabulary import Granularity, Tier

MAX_COUNTED_DAYS = 40_000


def periods(value: Any, granularity: Granularity) -> int:
    """Points a series over `value` (a DateRange argument) has; 1 when the range is unusable."""
    if not isinstance(value, Mapping):
        return 1
    start, end = value.get("from"), value.get("to")
    if not isinstance(start, date) or not isinstance(end, date) or start > end:
        return 1
    if start < EARLIEST_DAY or end > LATEST_DAY:  # refused at execution; period arithmetic would overflow
        return 1
    if (end - start).days > MAX_COUNTED_DAYS:  # rejected at execution; don't enumerate it
        return MAX_COUNTED_DAYS
    return len(period_starts(DayRange(start, end), granularity))


def _tenant_list_size(args: Mapping[str, Any], scope: Scope) -> int:
    if args.get("ids") is not None:
        return len(set(args["ids"]))
    return len(scope.principal.tenant_ids) if scope.principal else 0


def _tenant_list_touches(args: Mapping[str, Any], scope: Scope) -> set[str]:
    if args.get("ids") is not None:
        return set(args["ids"])
    return set(scope.principal.tenant_ids) if scope.principal else set()


def _tenant_touches(args: Mapping[str, Any], scope: Scope) -> set[str]:
    if args.get("id") is not None:
        return {args["id"]}
    return set(scope.principal.tenant_ids[:1]) if scope.principal else set()


def _tenant_id_touches(args: Mapping[str, Any], scope: Scope) -> set[str]:
    """Subscriptions name their tenant in `tenantId`."""
    return _tenant_touches({"id": args.get("tenantId")}, scope)


def _range_periods(args: Mapping[str, Any], _scope: Scope) -> int:
    """Points of a field with `range` and `granularity` arguments (series, anomalies)."""
    return periods(args.get("range"), args.get("granularity", Granularity.DAY))


def _trend(granularity: Granularity) -> Cost:
    return Cost(weight=1, size=lambda _args, scope: periods(scope.inherited.get("range"), granularity))


FREE = {"cost": Cost(weight=0)}
TENANT = {"cost": Cost(weight=1, touches=_tenant_touches)}
TENANTS = {"cost": Cost(weight=1, size=_tenant_list_size, touches=_tenant_list_touches)}
KEY_METRICS = {"cost": Cost(weight=3)}
SERIES = {"cost": Cost(weight=1, size=_range_periods)}
BREAKDOWN = {"cost": Cost(weight=2)}
CHARTS = {"cost": Cost(weight=1, hands_down=("range",))}
BY_CHANNEL = {"cost": Cost(weight=2)}
REVENUE_TREND = {"cost": _trend(Granularity.MONTH)}
QUARTER_TREND = {"cost": _trend(Granularity.QUARTER)}


FUNNEL: dict[str, object] = {}

# intelligence, PROFESSIONAL and up:
# a model fit (or a cached one) and its backtest; points are part of the answer
FORECAST = {"cost": Cost(weight=50), **gate(Tier.PROFESSIONAL)}
# a robust decomposition per period judged
ANOMALIES = {"cost": Cost(weight=2, size=_range_periods), **gate(Tier.PROFESSIONAL)}
# the whole segment's loads
BENCHMARK = {"cost": Cost(weight=20), **gate(Tier.PROFESSIONAL)}


def _triangle(args: Mapping[str, Any], scope: Scope) -> int:
    """A retention triangle of n cohorts has n(n+1)/2 cells: a point per 10 cells (at least 3)."""
    n = _range_periods({**args, "granularity": args.get("granularity", Granularity.MONTH)}, scope)
    return max(3, n * (n + 1) // 20)


# analytics depth: one windowed statement each; retention's answer grows with periods squared
FUNNEL_BY = {"cost": Cost(weight=3)}
ATTRIBUTION = {"cost": Cost(weight=5)}
RETENTION = {"cost": Cost(weight=1, size=_triangle)}
# alerts: reading rules and events is a PROFESSIONAL feature, as are the mutations
ALERT_RULES = {"cost": Cost(weight=1), **gate(Tier.PROFESSIONAL)}
ALERTS = {"cost": Cost(weight=1), **gate(Tier.PROFESSIONAL)}
ALERT_WRITE = {"cost": Cost(weight=10), **gate(Tier.PROFESSIONAL)}
# subscriptions, PROFESSIONAL and up: charged once when they start, like the query of the same selection
LIVE_METRICS = {"cost": Cost(weight=3, touches=_tenant_id_touches), **gate(Tier.PROFESSIONAL)}
BOOKING_EVENTS = {"cost": Cost(weight=1, touches=_tenant_id_touches), **gate(Tier.PROFESSIONAL)}
ALERT_FIRED = {"cost": Cost(weight=1, touches=_tenant_id_touches), **gate(Tier.PROFESSIONAL)}
