"""Every Tenant field, reached for a foreign tenant with a JWT or an API key: FORBIDDEN, nothing leaks."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from auth.api_keys import create_key
from core.vocabulary import Tier
from gateway import appkeys
from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import SECRET, make_token

RANGE = '{from: "2025-12-01", to: "2025-12-31"}'
FIELDS = {
    "id": "id",
    "name": "name",
    "segment": "segment",
    "country": "country",
    "currency": "currency",
    "dataRange": "dataRange { from to }",
    "metrics": f"metrics(range: {RANGE}) {{ sessions revenue {{ amount }} }}",
    "series": f"series(metric: SESSIONS, range: {RANGE}) {{ start value }}",
    "breakdown": f"breakdown(metric: SESSIONS, by: DEVICE, range: {RANGE}) {{ key value }}",
    "charts": f"charts(range: {RANGE}) {{ loginStatus {{ key value }} }}",
    "funnel": f"funnel(range: {RANGE}) {{ step sessions }}",
    "forecast": "forecast(metric: BOOKINGS, horizon: 2, granularity: MONTH) { model }",
    "anomalies": f"anomalies(metric: SESSIONS, range: {RANGE}) {{ score }}",
    "benchmark": 'benchmark(metric: SESSIONS, range: {from: "2025-11-01", to: "2025-11-30"}) { percentile }',
    "funnelBy": f"funnelBy(by: UTM_CAMPAIGN, range: {RANGE}) {{ key steps {{ sessions }} }}",
    "attribution": f"attribution(by: UTM_SOURCE, range: {RANGE}) {{ key bookings revenue {{ amount }} }}",
    "retention": f"retention(range: {RANGE}) {{ start customers returning }}",
    "alertRules": "alertRules { id metric }",
    "alerts": f"alerts(range: {RANGE}) {{ ruleId value }}",
}


@pytest.fixture(scope="module")
def ids(sqlite_demo_url: str) -> list[str]:
    with sqlite3.connect(f"file:{sqlite_demo_url.split('///', 1)[1]}?mode=ro", uri=True) as conn:
        return sorted(row[0] for row in conn.execute("SELECT id FROM tenants"))


async def _credential(client: Any, kind: str, tenant: str) -> dict[str, str]:
    if kind == "jwt":
        return {"Authorization": f"Bearer {make_token([tenant], 'ENTERPRISE')}"}
    key, _ = await create_key(client.server.app[appkeys.DATA].engine, name="partner", tier=Tier.ENTERPRISE,
                              tenant_ids=[tenant])
    return {"X-API-Key": key}


@pytest.mark.parametrize("kind", ["jwt", "api_key"])
@pytest.mark.parametrize("field", FIELDS)
async def test_foreign_tenant_field_is_forbidden(
    aiohttp_client: Any, tmp_path: Any, sqlite_demo_url: str, ids: list[str], kind: str, field: str
) -> None:
    # a copy of the demo store: creating an API key writes to it
    copy = tmp_path / "store.db"
    with sqlite3.connect(sqlite_demo_url.split("///", 1)[1]) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    client = await aiohttp_client(create_app(Settings(database_url=f"sqlite+aiosqlite:///{copy}", jwt_secret=SECRET)))
    mine, foreign = ids[0], ids[1]
    headers = await _credential(client, kind, mine)
    for query, variables in (
        (f"query($id: ID) {{ tenant(id: $id) {{ {FIELDS[field]} }} }}", {"id": foreign}),
        (f"query($ids: [ID!]) {{ tenants(ids: $ids) {{ {FIELDS[field]} }} }}", {"ids": [mine, foreign]}),
    ):
        response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        body = await response.json()
        assert response.status == 200
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
        assert not any((body["data"] or {}).values()), "a nullable tenant is null, tenants' refusal nulls the data"
        assert mine not in str(body), "not even the readable tenant of the request is returned"
