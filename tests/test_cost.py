"""Static costs: a table of known costs, fragments/aliases/variables included, and the guard."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from auth.cost import CostAnalyzer
from auth.limits import RateLimits
from auth.principal import Principal
from auth.tiers import default_tiers
from core.vocabulary import PrincipalKind, Tier
from schema.root import schema
from tests.gql import execute, tenant_ids

PRINCIPAL = Principal(PrincipalKind.USER, "cost", Tier.ENTERPRISE, ("a", "b", "c", "d"))
JAN = '{from: "2026-01-01", to: "2026-01-31"}'
H1 = '{from: "2026-01-01", to: "2026-06-30"}'

CASES: list[tuple[str, str, dict[str, Any] | None, int]] = [
    ("viewer only", "{ viewer { subject tier } }", None, 0),
    ("one tenant, scalars", '{ tenant(id: "a") { id name segment } }', None, 1),
    ("key metrics", f'{{ tenant(id: "a") {{ metrics(range: {JAN}) {{ sessions bookings }} }} }}', None, 1 + 3),
    ("metrics, money and previousPeriod",
     f'{{ tenant(id: "a") {{ metrics(range: {JAN}) {{ revenue {{ amount }} previousPeriod {{ sessions }} }} }} }}',
     None, 1 + 3 + 1 + 3),
    ("daily series", f'{{ tenant(id: "a") {{ series(metric: SESSIONS, range: {JAN}) {{ start value }} }} }}', None, 1 + 31),
    ("weekly series clipped", f'{{ tenant(id: "a") {{ series(metric: SESSIONS, range: {JAN}, granularity: WEEK) {{ value }} }} }}',
     None, 1 + 5),
    ("series through variables",
     'query($r: DateRange!, $g: Granularity!) { tenant(id: "a") { series(metric: REVENUE, range: $r, granularity: $g) { value } } }',
     {"r": {"from": "2026-01-01", "to": "2026-12-31"}, "g": "MONTH"}, 1 + 12),
    ("breakdown", f'{{ tenant(id: "a") {{ breakdown(metric: SESSIONS, by: DEVICE, range: {JAN}) {{ key }} }} }}', None, 1 + 2),
    ("charts over half a year",
     f'{{ tenant(id: "a") {{ charts(range: {H1}) {{ visitorsByChannel {{ key }} loginStatus {{ key }} '
     'bookingFunnel { step } revenueTrend { value } npsTrend { value } rebookingTrend { value } } } }',
     None, 1 + 1 + 2 + 1 + 1 + 6 + 2 + 2),
    ("portfolio by ids", f'{{ tenants(ids: ["a", "b", "c"]) {{ metrics(range: {JAN}) {{ sessions }} }} }}', None, 3 * (1 + 3)),
    ("portfolio of all readable", f'{{ tenants {{ metrics(range: {JAN}) {{ sessions }} }} }}', None, 4 * (1 + 3)),
    ("aliases count each",
     f'{{ x: tenant(id: "a") {{ metrics(range: {JAN}) {{ sessions }} }} y: tenant(id: "a") {{ metrics(range: {JAN}) {{ sessions }} }} }}',
     None, 2 * (1 + 3)),
    ("fragments expand where spread",
     f'fragment M on Tenant {{ metrics(range: {JAN}) {{ sessions }} }} {{ tenant(id: "a") {{ ...M ...M }} }}',
     None, 1 + 3 + 3),
    ("inline fragments",
     f'{{ tenant(id: "a") {{ ... on Tenant {{ series(metric: NPS, range: {JAN}) {{ value }} }} }} }}', None, 1 + 31),
    ("nested lists multiply",
     f'{{ tenants(ids: ["a", "b"]) {{ series(metric: SESSIONS, range: {JAN}) {{ value }} }} }}', None, 2 * (1 + 31)),
    ("introspection", "{ __schema { types { name } } }", None, 10),
    ("forecast with points and backtest",
     '{ tenant(id: "a") { forecast(metric: BOOKINGS, horizon: 30) { model points { value } backtest { mase } } } }',
     None, 1 + 50 + 1 + 1),
    ("anomalies per period", f'{{ tenant(id: "a") {{ anomalies(metric: SESSIONS, range: {JAN}) {{ score }} }} }}',
     None, 1 + 31 * (2 + 0)),
    ("benchmark", f'{{ tenant(id: "a") {{ benchmark(metric: NPS, range: {JAN}) {{ percentile }} }} }}', None, 1 + 20),
]


@pytest.mark.parametrize(("name", "document", "variables", "expected"), CASES, ids=[c[0] for c in CASES])
def test_known_costs(name: str, document: str, variables: dict[str, Any] | None, expected: int) -> None:
    analysis = CostAnalyzer(schema._schema).analyze(parse(document), None, variables, PRINCIPAL)
    assert analysis.cost == expected


def test_touched_tenants() -> None:
    document = parse('{ a: tenant(id: "a") { id } b: tenants(ids: ["b", "c"]) { id } c: tenant { id } }')
    assert CostAnalyzer(schema._schema).analyze(document, None, None, PRINCIPAL).tenants == {"a", "b", "c"}


async def test_cost_is_reported_and_charged(sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    limits = RateLimits(default_tiers())
    query = f'query($id: ID!) {{ tenant(id: $id) {{ series(metric: SESSIONS, range: {JAN}) {{ value }} }} }}'
    first = await execute(sqlite_demo_url, query, {"id": ids[0]}, tenants=ids[:1], tier=Tier.FREE, limits=limits)
    second = await execute(sqlite_demo_url, query, {"id": ids[0]}, tenants=ids[:1], tier=Tier.FREE, limits=limits)
    limit = default_tiers()[Tier.FREE].points_per_minute
    assert first.extensions["cost"]["requestedQueryCost"] == 32
    assert first.extensions["cost"]["limit"] == limit
    assert first.extensions["cost"]["remaining"] == limit - 32
    assert second.extensions["cost"]["remaining"] == limit - 64


async def test_too_complex_is_refused_before_any_sql(sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    limits = RateLimits(default_tiers())
    # twelve daily series over FREE's longest range: within every limit but the query cost
    fields = " ".join(f'q{i}: series(metric: SESSIONS, range: {{from: "2025-11-01", to: "2026-01-31"}}) {{ value }}'
                      for i in range(12))
    query = f'query($id: ID!) {{ tenant(id: $id) {{ {fields} }} }}'
    result = await execute(sqlite_demo_url, query, {"id": ids[0]}, tenants=ids[:1], tier=Tier.FREE, limits=limits)
    assert result.data is None
    assert result.errors[0].extensions["code"] == "QUERY_TOO_COMPLEX"
    assert result.errors[0].extensions["cost"] == 1 + 12 * 92
    budget = await limits.points_left(Principal(PrincipalKind.USER, "test", Tier.FREE, tuple(ids[:1])))
    assert budget.remaining == budget.limit, "a refused query is not charged"


async def test_portfolio_needs_enterprise(sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    result = await execute(sqlite_demo_url, "{ tenants { id } }", tenants=ids[:2], tier=Tier.PROFESSIONAL,
                           limits=RateLimits(default_tiers()))
    assert result.errors[0].extensions == {"code": "FORBIDDEN", "requiredTier": "ENTERPRISE"}
    ok = await execute(sqlite_demo_url, "{ tenants { id } }", tenants=ids[:2], tier=Tier.ENTERPRISE,
                       limits=RateLimits(default_tiers()))
    assert ok.errors is None and len(ok.data["tenants"]) == 2


async def test_budget_exhaustion_then_rate_limited(sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    limits = RateLimits(default_tiers())
    query = 'query($id: ID!) { tenant(id: $id) { series(metric: SESSIONS, range: {from: "2025-11-01", to: "2026-01-31"}) { value } } }'
    limit = default_tiers()[Tier.FREE].points_per_minute
    admitted = 0
    for _ in range(limit // 93 + 2):
        result = await execute(sqlite_demo_url, query, {"id": ids[0]}, tenants=ids[:1], tier=Tier.FREE, limits=limits)
        if result.errors:
            break
        admitted += 1
    assert admitted == limit // 93
    error = result.errors[0]
    assert error.extensions["code"] == "RATE_LIMITED"
    assert 1 <= error.extensions["retryAfter"] <= 60


async def test_dry_run_neither_executes_nor_charges(sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    limits = RateLimits(default_tiers())
    query = f'query($id: ID!) {{ tenant(id: $id) {{ metrics(range: {JAN}) {{ sessions }} }} }}'
    result = await execute(sqlite_demo_url, query, {"id": ids[0]}, tenants=ids[:1], limits=limits,
                           extensions={"costDryRun": True})
    assert result.data is None and result.errors is None
    cost = result.extensions["cost"]
    assert cost["requestedQueryCost"] == 4 and cost["dryRun"] is True and cost["remaining"] == cost["limit"]
