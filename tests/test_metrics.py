"""GET /metrics: Prometheus text with requests, SQL, cache, limits, pool and loop stalls; no tenant."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import SECRET, make_token

QUERY = '{ tenant(id: "%s") { metrics(range: {from: "2026-01-01", to: "2026-01-31"}) { bookings uniqueVisitors } } }'


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def _samples(client: Any) -> tuple[Samples, str]:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }, text


async def test_metrics_show_requests_sql_and_the_cache_working(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    client = await aiohttp_client(create_app(Settings(database_url=sqlite_demo_url, jwt_secret=SECRET,
                                                      rollup_check_seconds=0)))
    tenant_id = await _first_tenant(client)
    before, _ = await _samples(client)
    headers = {"Authorization": f"Bearer {make_token([tenant_id])}"}
    for _ in range(3):
        response = await client.post("/graphql", json={"query": QUERY % tenant_id}, headers=headers)
        assert response.status == 200 and "errors" not in await response.json()
    await client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
    after, text = await _samples(client)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("gateway_requests_total", operation="query", outcome="ok") == 3
    assert grew("gateway_requests_total", operation="unknown", outcome="error") == 1
    assert grew("gateway_request_seconds_count", operation="query", outcome="ok") == 3
    assert grew("gateway_sql_statements_total") > 0
    assert grew("gateway_cache_hits_total", layer="response") == 2  # the 2nd and 3rd request, whole
    assert grew("gateway_cache_misses_total", layer="memory") > 0  # the 1st, per load
    assert ("gateway_db_pool_in_use", ()) in after
    assert ("gateway_loop_stall_max_seconds", ()) in after
    assert ("gateway_loop_stall_cpu_max_seconds", ()) in after
    assert tenant_id not in text and "tester" not in text


async def test_rate_limit_refusals_are_counted(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    client = await aiohttp_client(create_app(Settings(database_url=sqlite_demo_url, jwt_secret=SECRET,
                                                      rollup_check_seconds=0, ip_attempts_per_minute=1)))
    before, _ = await _samples(client)
    statuses = [(await client.post("/graphql", json={"query": "{ __typename }"})).status for _ in range(3)]
    after, _ = await _samples(client)
    key = ("gateway_rate_limited_total", (("limit", "ip_attempts"),))
    assert statuses.count(429) == 2
    assert after.get(key, 0) - before.get(key, 0) == 2
    refused = ("gateway_requests_total", (("operation", "none"), ("outcome", "rejected")))
    assert after.get(refused, 0) - before.get(refused, 0) >= 2


async def _first_tenant(client: Any) -> str:
    from loaders.store import first_tenant_id
    from gateway import appkeys

    return await first_tenant_id(client.app[appkeys.DATA].engine)
