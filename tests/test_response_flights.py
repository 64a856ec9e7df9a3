"""Single flight of the whole-response cache: identical concurrent misses execute GraphQL once,
within a process and across two replicas sharing Redis; every caller gets the same answer and is
charged for it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from gateway.app import create_app
from gateway.settings import Settings
from telemetry.metrics import CACHE_HITS, CACHE_MISSES, CACHE_SHARED
from tests.conftest import SECRET, make_token
from tests.services import redis_url
from tests.test_cache import DASHBOARD, _first_tenant


def _settings(url: str, **extra: Any) -> Settings:
    return Settings(database_url=url, jwt_secret=SECRET, rollup_check_seconds=0, **extra)


def _lookups(layer: str) -> float:
    """Loader-level cache lookups: every execution of the dashboard makes the same number."""
    return CACHE_HITS.labels(layer)._value.get() + CACHE_MISSES.labels(layer)._value.get()


def _served(layer: str) -> float:
    return CACHE_HITS.labels(layer)._value.get() + CACHE_SHARED.labels(layer)._value.get()


async def _ask(client: Any, variables: dict[str, Any], token: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": DASHBOARD, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    body = await response.json()
    assert "errors" not in body, body
    return body


async def _one_execution(client: Any, variables: dict[str, Any], token: str) -> tuple[dict[str, Any], float]:
    """The answer of a lone request and the loader lookups its execution made (give or take
    one or two: loads that batch together on one run may not on another)."""
    before = _lookups("memory")
    body = await _ask(client, variables, token)
    lookups = _lookups("memory") - before
    assert lookups > 0
    return body["data"], lookups


async def test_identical_concurrent_misses_execute_once_and_are_each_charged(
    aiohttp_client: Any, sqlite_demo_url: str
) -> None:
    tenant_id = await _first_tenant(sqlite_demo_url)
    variables = {"id": tenant_id, "from": "2025-08-01", "to": "2025-11-30"}
    alone = await aiohttp_client(create_app(_settings(sqlite_demo_url)))
    expected, lookups = await _one_execution(alone, variables, make_token([tenant_id]))
    client = await aiohttp_client(create_app(_settings(sqlite_demo_url)))
    token = make_token([tenant_id], sub=f"flight-{uuid.uuid4().hex}")
    before, shared, served = _lookups("memory"), CACHE_SHARED.labels("response")._value.get(), _served("response")
    bodies = await asyncio.gather(*(_ask(client, variables, token) for _ in range(6)))
    assert all(body["data"] == expected for body in bodies)
    # GraphQL ran once for the six (an execution's lookups vary by one or two with how its loads batch)
    assert _lookups("memory") - before < 1.5 * lookups
    assert _served("response") - served == 5  # five got its answer: waiting for it, or stored
    assert CACHE_SHARED.labels("response")._value.get() > shared
    costs = [body["extensions"]["cost"] for body in bodies]
    assert len({cost["requestedQueryCost"] for cost in costs}) == 1
    assert len({cost["remaining"] for cost in costs}) == 6  # each one charged


async def test_identical_misses_on_two_replicas_execute_once(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    tenant_id = await _first_tenant(sqlite_demo_url)
    variables = {"id": tenant_id, "from": "2025-07-01", "to": "2025-10-31"}
    token = make_token([tenant_id])
    alone = await aiohttp_client(create_app(_settings(sqlite_demo_url)))
    expected, lookups = await _one_execution(alone, variables, token)
    namespace = f"test-{uuid.uuid4().hex}:"
    replicas = [
        await aiohttp_client(create_app(_settings(sqlite_demo_url, redis_url=redis_url(), cache_namespace=namespace)))
        for _ in range(2)
    ]
    before, served = _lookups("redis"), _served("response")
    bodies = await asyncio.gather(*(_ask(replicas[i % 2], variables, token) for i in range(8)))
    assert all(body["data"] == expected for body in bodies)
    assert _lookups("redis") - before < 1.5 * lookups  # one execution across both replicas
    assert _served("response") - served == 7
