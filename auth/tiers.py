"""Tiers and what each may do: built-in defaults, optionally overridden by a TOML file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from enum import Enum
from pathlib import Path


class Tier(str, Enum):
    FREE = "FREE"
    PROFESSIONAL = "PROFESSIONAL"
    ENTERPRISE = "ENTERPRISE"


BASIC_FIELDS = frozenset({"metrics", "series", "breakdown", "charts", "funnel"})
INTELLIGENCE_FIELDS = frozenset({"forecast", "anomalies", "benchmark"})
LIVE_FIELDS = frozenset({"liveMetrics", "bookingEvents"})


@dataclass(frozen=True)
class TierPolicy:
    """Limits of one tier; see docs/limits.md for why these defaults."""

    fields: frozenset[str]
    max_range_days: int
    max_tenants: int
    requests_per_minute: int
    points_per_minute: int
    max_query_cost: int
    # subscriptions one principal may hold open at once, over all replicas
    max_subscriptions: int
    # rows written per minute (mutations, bulk bodies), metered apart from the read points
    write_rows_per_minute: int = 60_000


DEFAULTS = {
    Tier.FREE: TierPolicy(
        fields=BASIC_FIELDS,
        max_range_days=93,
        max_tenants=1,
        requests_per_minute=60,
        points_per_minute=3_000,
        max_query_cost=1_000,
        max_subscriptions=1,
        write_rows_per_minute=60_000,
    ),
    Tier.PROFESSIONAL: TierPolicy(
        fields=BASIC_FIELDS | INTELLIGENCE_FIELDS | LIVE_FIELDS,
        max_range_days=731,
        max_tenants=1,
        requests_per_minute=600,
        points_per_minute=30_000,
        max_query_cost=5_000,
        max_subscriptions=20,
        write_rows_per_minute=600_000,
    ),
    Tier.ENTERPRISE: TierPolicy(
        fields=BASIC_FIELDS | INTELLIGENCE_FIELDS | LIVE_FIELDS,
        max_range_days=36_600,
        max_tenants=200,
        requests_per_minute=3_000,
        points_per_minute=300_000,
        max_query_cost=100_000,
        max_subscriptions=200,
        write_rows_per_minute=6_000_000,
    ),
}
ORDER = (Tier.FREE, Tier.PROFESSIONAL, Tier.ENTERPRISE)
GATED_FIELDS = BASIC_FIELDS | INTELLIGENCE_FIELDS | LIVE_FIELDS


@dataclass(frozen=True)
class TierTable:
    policies: dict[Tier, TierPolicy]

    def __getitem__(self, tier: Tier) -> TierPolicy:
        return self.policies[tier]

    def lowest_with_field(self, field: str) -> Tier | None:
        return next((tier for tier in ORDER if field in self.policies[tier].fields), None)


def default_tiers() -> TierTable:
    return TierTable(dict(DEFAULTS))


def load_tiers(path: Path | None) -> TierTable:
    """Defaults, with any `[FREE]`, `[PROFESSIONAL]`, `[ENTERPRISE]` table of the file on top."""
    if path is None:
        return default_tiers()
    data = tomllib.loads(path.read_text())
    unknown = set(data) - {tier.value for tier in Tier}
    if unknown:
        raise ValueError(f"{path}: unknown tier(s) {sorted(unknown)}")
    policies = dict(DEFAULTS)
    for name, values in data.items():
        policies[Tier(name)] = _override(policies[Tier(name)], values, f"{path} [{name}]")
    return TierTable(policies)


def _override(policy: TierPolicy, values: dict[str, object], where: str) -> TierPolicy:
    names = {f.name for f in fields(TierPolicy)}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"{where}: unknown setting(s) {sorted(unknown)}; known: {sorted(names)}")
    changes: dict[str, object] = {}
    for name, value in values.items():
        if name == "fields":
            if not isinstance(value, list) or not set(value) <= GATED_FIELDS:
                raise ValueError(f"{where}: fields must be a list drawn from {sorted(GATED_FIELDS)}")
            changes[name] = frozenset(value)
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{where}: {name} must be a positive integer")
        else:
            changes[name] = value
    return replace(policy, **changes)
