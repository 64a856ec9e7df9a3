"""The tier table: defaults, TOML overrides that fail loudly, and what each tier may read."""

from __future__ import annotations

from pathlib import Path

import pytest

from auth.permissions import TIER, TierGate, gated_fields
from auth.tiers import default_tiers, load_tiers
from core.vocabulary import Tier
from schema.mutation import Mutation
from schema.root import schema
from schema.subscription import Subscription
from schema.tenant import Tenant
from tests.gql import execute, tenant_ids


def test_defaults_follow_the_product_rules() -> None:
    tiers = default_tiers()
    free, pro, ent = tiers[Tier.FREE], tiers[Tier.PROFESSIONAL], tiers[Tier.ENTERPRISE]
    gates = {name: field.metadata.get(TIER, Tier.FREE) for name, field in _tenant_fields().items()}
    allowed = {tier: {name for name, minimum in gates.items() if tiers.allows(tier, name, minimum)} for tier in Tier}
    assert gated_fields(schema) == set(gates) | {"liveMetrics", "bookingEvents", "alertFired"}
    assert allowed[Tier.FREE] == {"metrics", "series", "breakdown", "charts", "funnel", "funnelBy", "attribution", "retention"}
    assert free.max_range_days == 93 and free.max_tenants == 1 and free.requests_per_minute <= 60
    assert allowed[Tier.PROFESSIONAL] == allowed[Tier.FREE] | {"forecast", "anomalies", "benchmark"} | {
        "alertRules", "alerts", "createAlertRule", "deleteAlertRule"}
    assert allowed[Tier.ENTERPRISE] == allowed[Tier.PROFESSIONAL]
    assert free.max_subscriptions < pro.max_subscriptions < ent.max_subscriptions
    assert pro.max_range_days >= 730 and pro.max_tenants == 1
    assert ent.max_tenants > 1 and ent.requests_per_minute >= 3000
    assert free.points_per_minute < pro.points_per_minute < ent.points_per_minute
    assert free.max_query_cost < pro.max_query_cost < ent.max_query_cost
    assert tiers.lowest_with_field("forecast", gates["forecast"]) is Tier.PROFESSIONAL
    assert tiers.lowest_with_field("createAlertRule", gates["createAlertRule"]) is Tier.PROFESSIONAL
    assert tiers.lowest_with_field("metrics", gates["metrics"]) is Tier.FREE


def test_subscriptions_are_professional_and_up() -> None:
    tiers = default_tiers()
    for field in Subscription.__strawberry_definition__.fields:
        assert TierGate in field.permission_classes
        name, minimum = field.graphql_name or field.python_name, field.metadata.get(TIER)
        assert minimum is Tier.PROFESSIONAL
        assert tiers.lowest_with_field(name, minimum) is Tier.PROFESSIONAL


def _tenant_fields() -> dict[str, object]:
    """Tenant's (and Mutation's) fields that carry the tier gate, by GraphQL name."""
    fields = [*Tenant.__strawberry_definition__.fields, *Mutation.__strawberry_definition__.fields]
    return {schema.config.name_converter.get_graphql_name(f): f for f in fields if TierGate in f.permission_classes}


def test_toml_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text('[FREE]\nmax_range_days = 31\nfields = ["metrics"]\n')
    tiers = load_tiers(path, gated_fields(schema))
    assert tiers[Tier.FREE].max_range_days == 31
    assert tiers[Tier.FREE].fields == {"metrics"}
    assert tiers[Tier.FREE].max_tenants == default_tiers()[Tier.FREE].max_tenants
    assert tiers[Tier.PROFESSIONAL] == default_tiers()[Tier.PROFESSIONAL]


@pytest.mark.parametrize(
    "text",
    ["[GOLD]\nmax_tenants = 3\n", "[FREE]\nmax_tenant = 3\n", "[FREE]\nmax_tenants = 0\n",
     "[FREE]\nmax_tenants = true\n", '[FREE]\nfields = ["everything"]\n'],
)
def test_bad_files_fail_loudly(tmp_path: Path, text: str) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match="tiers.toml"):
        load_tiers(path, gated_fields(schema))


async def test_free_tier_range_limit(sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    query = """query($id: ID!, $from: Date!) { tenant(id: $id) {
      metrics(range: {from: $from, to: "2026-01-31"}) { sessions } } }"""
    ok = await execute(sqlite_demo_url, query, {"id": ids[0], "from": "2025-10-31"}, tenants=ids[:1], tier=Tier.FREE)
    assert ok.errors is None
    too_long = await execute(sqlite_demo_url, query, {"id": ids[0], "from": "2025-10-30"}, tenants=ids[:1], tier=Tier.FREE)
    assert too_long.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": "range"}
    assert "FREE tier allows at most 93" in too_long.errors[0].message
    pro = await execute(sqlite_demo_url, query, {"id": ids[0], "from": "2025-10-30"}, tenants=ids[:1],
                        tier=Tier.PROFESSIONAL)
    assert pro.errors is None


async def test_field_outside_the_tier_is_forbidden_naming_the_tier(sqlite_demo_url: str, tmp_path: Path) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text('[FREE]\nfields = ["metrics"]\n')
    ids = await tenant_ids(sqlite_demo_url)
    query = """query($id: ID!) { tenant(id: $id) { name
      funnel(range: {from: "2026-01-01", to: "2026-01-31"}) { step } } }"""
    result = await execute(sqlite_demo_url, query, {"id": ids[0]}, tenants=ids[:1], tier=Tier.FREE, tiers_file=path)
    assert result.errors[0].extensions == {"code": "FORBIDDEN", "requiredTier": "PROFESSIONAL"}
    assert "PROFESSIONAL" in result.errors[0].message
