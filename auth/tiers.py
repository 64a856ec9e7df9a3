"""Tiers and what each may do: built-in defaults, optionally overridden by a TOML file."""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from dataclasses import dataclass, fields, replace
from pathlib import Path

from core.vocabulary import TIER_ORDER as ORDER
from core.vocabulary import Tier


@dataclass(frozen=True)
class TierPolicy:
    """Limits of one tier; see docs/limits.md for why these defaults."""

    max_range_days: int
    max_tenants: int
    requests_per_minute: int
    points_per_minute: int
    max_query_cost: int
    # gated fields this tier may read, when TIERS_FILE lists them; None: each field's own
    # minimum tier (declared beside its cost in schema/) decides
    fields: frozenset[str] | None = None


DEFAULTS = {
    Tier.FREE: TierPolicy(
        max_range_days=93,
        max_tenants=1,
        requests_per_minute=60,
        points_per_minute=3_000,
        max_query_cost=1_000,
    ),
    Tier.PROFESSIONAL: TierPolicy(
        max_range_days=731,
        max_tenants=1,
        requests_per_minute=600,
        points_per_minute=30_000,
        max_query_cost=5_000,
    ),
    Tier.ENTERPRISE: TierPolicy(
        max_range_days=36_600,
        max_tenants=200,
        requests_per_minute=3_000,
        points_per_minute=300_000,
        max_query_cost=100_000,
    ),
}


@dataclass(frozen=True)
class TierTable:
    policies: dict[Tier, TierPolicy]

    def __getitem__(self, tier: Tier) -> TierPolicy:
        return self.policies[tier]

    def allows(self, tier: Tier, field: str, minimum: Tier) -> bool:
        """Whether `tier` may read `field`, whose declared minimum tier is `minimum`."""
        listed = self.policies[tier].fields
        if listed is not None:
            return field in listed
        return ORDER.index(tier) >= ORDER.index(minimum)

    def lowest_with_field(self, field: str, minimum: Tier) -> Tier | None:
        return next((tier for tier in ORDER if self.allows(tier, field, minimum)), None)


def default_tiers() -> TierTable:
    return TierTable(dict(DEFAULTS))


def load_tiers(path: Path | None, gated_fields: Collection[str] = ()) -> TierTable:
    """Defaults, with any `[FREE]`, `[PROFESSIONAL]`, `[ENTERPRISE]` table of the file on top.

    `gated_fields`: the field names a `fields` list may name (the schema's gated fields).
    """
    if path is None:
        return default_tiers()
    data = tomllib.loads(path.read_text())
    unknown = set(data) - {tier.value for tier in Tier}
    if unknown:
        raise ValueError(f"{path}: unknown tier(s) {sorted(unknown)}")
    policies = dict(DEFAULTS)
    for name, values in data.items():
        policies[Tier(name)] = _override(policies[Tier(name)], values, f"{path} [{name}]", frozenset(gated_fields))
    return TierTable(policies)


def _override(policy: TierPolicy, values: dict[str, object], where: str, gated: frozenset[str]) -> TierPolicy:
    names = {f.name for f in fields(TierPolicy)}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"{where}: unknown setting(s) {sorted(unknown)}; known: {sorted(names)}")
    changes: dict[str, object] = {}
    for name, value in values.items():
        if name == "fields":
            if not isinstance(value, list) or not set(value) <= gated:
                raise ValueError(f"{where}: fields must be a list drawn from {sorted(gated)}")
            changes[name] = frozenset(value)
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{where}: {name} must be a positive integer")
        else:
            changes[name] = value
    return replace(policy, **changes)
