"""One failing widget leaves the rest of the dashboard in place, with its error at its path."""

from __future__ import annotations

from typing import Any

import pytest

from auth.tiers import Tier
from tests.conftest import make_token
from tests.gql import execute, tenant_ids

JAN = '{from: "2026-01-01", to: "2026-01-31"}'
FAILING = {
    "tier gate": ("forecast(metric: SESSIONS, horizon: 7) { model }", Tier.FREE, {}, "FORBIDDEN"),
    "unsupported breakdown": (f"breakdown(metric: NPS, by: DEVICE, range: {JAN}) {{ key }}", Tier.FREE, {},
                              "BAD_USER_INPUT"),
    "too few peers": (f"benchmark(metric: SESSIONS, range: {JAN}) {{ median }}", Tier.PROFESSIONAL,
                      {"benchmark_min_peers": 1000}, "INSUFFICIENT_PEERS"),
}


@pytest.mark.parametrize("case", FAILING)
async def test_a_failing_field_leaves_its_siblings(sqlite_demo_url: str, case: str) -> None:
    failing, tier, settings, code = FAILING[case]
    ids = await tenant_ids(sqlite_demo_url)
    query = f"{{ tenant {{ id metrics(range: {JAN}) {{ sessions }} broken: {failing} charts(range: {JAN}) {{ npsTrend {{ value }} }} }} }}"
    result = await execute(sqlite_demo_url, query, tenants=ids[:1], tier=tier, **settings)
    assert [(e.extensions["code"], e.path) for e in result.errors] == [(code, ["tenant", "broken"])]
    tenant = result.data["tenant"]
    assert tenant["broken"] is None
    assert tenant["id"] == ids[0] and tenant["metrics"]["sessions"] > 0 and tenant["charts"]["npsTrend"]


async def test_a_tenant_that_cannot_be_read_is_a_null_item(sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    result = await execute(sqlite_demo_url, "{ tenants { id } }", tenants=[ids[0], "t-not-in-the-store", ids[1]])
    assert result.data["tenants"] == [{"id": ids[0]}, None, {"id": ids[1]}]
    assert [(e.extensions["code"], e.path) for e in result.errors] == [("BAD_USER_INPUT", ["tenants", 1])]


async def test_partial_results_over_http_are_200(client: Any, sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    query = f"{{ tenant {{ metrics(range: {JAN}) {{ sessions }} forecast(metric: SESSIONS, horizon: 7) {{ model }} }} }}"
    response = await client.post("/graphql", json={"query": query},
                                 headers={"Authorization": f"Bearer {make_token(ids[:1], 'FREE')}"})
    body = await response.json()
    assert response.status == 200
    assert body["data"]["tenant"]["metrics"]["sessions"] > 0 and body["data"]["tenant"]["forecast"] is None
    assert body["errors"][0]["path"] == ["tenant", "forecast"]
