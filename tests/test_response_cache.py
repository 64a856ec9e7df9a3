"""The whole-response cache: identical numbers, forgets on writes, keeps scopes apart, still metered,
and works on Redis and without it."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

from gateway.app import create_app
from gateway.database import create_engine
from gateway.settings import Settings
from telemetry.metrics import CACHE_ERRORS, CACHE_HITS
from tests.conftest import SECRET, make_token
from tests.ingest_support import booking, prepare
from tests.services import redis_url
from tests.test_cache import DASHBOARD, _first_tenant, _tenant_ids

PORTFOLIO = """{ tenants { id name metrics(range: {from: "2025-12-01", to: "2026-01-31"}) { bookings
  revenue { amount currency } uniqueVisitors } } }"""
BOOKINGS = """query($id: ID!) { tenant(id: $id) { metrics(range: {from: "2025-03-01", to: "2025-03-31"}) {
  bookings revenue { amount currency } } } }"""


def _settings(url: str, **extra: Any) -> Settings:
    return Settings(database_url=url, jwt_secret=SECRET, rollup_check_seconds=0, **extra)


def _hits() -> float:
    return CACHE_HITS.labels("response")._value.get()


async def _post(client: Any, query: str, variables: dict[str, Any] | None, token: str) -> tuple[int, dict[str, Any]]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status, await response.json()


async def _ok(client: Any, query: str, variables: dict[str, Any] | None, token: str) -> dict[str, Any]:
    status, body = await _post(client, query, variables, token)
    assert status == 200 and "errors" not in body, body
    return body


async def test_a_hit_equals_the_uncached_answer_and_is_charged_the_same(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    cached = await aiohttp_client(create_app(_settings(sqlite_demo_url)))
    plain = await aiohttp_client(create_app(_settings(sqlite_demo_url, cache=False)))
    tenant_id = await _first_tenant(sqlite_demo_url)
    token = make_token([tenant_id])
    variables = {"id": tenant_id, "from": "2025-11-01", "to": "2026-02-10"}
    hits = _hits()
    first = await _ok(cached, DASHBOARD, variables, token)
    second = await _ok(cached, DASHBOARD, variables, token)
    assert _hits() == hits + 1  # the second was a hit
    expected = await _ok(plain, DASHBOARD, variables, make_token([tenant_id], sub="someone-else"))
    assert first["data"] == second["data"] == expected["data"]
    cost, again = first["extensions"]["cost"], second["extensions"]["cost"]
    assert again["requestedQueryCost"] == cost["requestedQueryCost"] > 0
    assert again["remaining"] == cost["remaining"] - cost["requestedQueryCost"]  # charged, not free


async def test_a_write_through_the_gateway_invalidates(aiohttp_client: Any, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    await prepare(url)
    client = await aiohttp_client(create_app(_settings(url)))
    token = make_token(["ing-a"], tier="ENTERPRISE", scope="read ingest")
    before = (await _ok(client, BOOKINGS, {"id": "ing-a"}, token))["data"]
    assert (await _ok(client, BOOKINGS, {"id": "ing-a"}, token))["data"] == before  # cached
    mutation = "mutation($i: [BookingInput!]!) { recordBookings(items: $i) { inserted } }"
    await _ok(client, mutation, {"i": [booking(1), booking(2)]}, token)
    after = (await _ok(client, BOOKINGS, {"id": "ing-a"}, token))["data"]
    assert after["tenant"]["metrics"]["bookings"] == before["tenant"]["metrics"]["bookings"] + 2


async def test_scopes_never_share_answers(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    cached = await aiohttp_client(create_app(_settings(sqlite_demo_url)))
    plain = await aiohttp_client(create_app(_settings(sqlite_demo_url, cache=False)))
    engine = create_engine(Settings(database_url=sqlite_demo_url))
    try:
        one, two = (await _tenant_ids(engine))[:2]
    finally:
        await engine.dispose()
    hits = _hits()
    scopes = [[one], [two], [one, two], [two, one]]
    for scope in scopes * 2:  # the second round is answered from the cache
        token = make_token(scope, tier="ENTERPRISE")
        answer = (await _ok(cached, PORTFOLIO, None, token))["data"]
        assert [row["id"] for row in answer["tenants"]] == scope
        assert answer == (await _ok(plain, PORTFOLIO, None, token))["data"]
    assert _hits() == hits + len(scopes)


async def test_hits_are_still_rate_limited(aiohttp_client: Any, sqlite_demo_url: str, tmp_path: Path) -> None:
    tenant_id = await _first_tenant(sqlite_demo_url)
    variables = {"id": tenant_id, "from": "2025-11-01", "to": "2026-02-10"}
    probe = await aiohttp_client(create_app(_settings(sqlite_demo_url, cache=False)))
    cost = (await _ok(probe, DASHBOARD, variables, make_token([tenant_id])))["extensions"]["cost"]["requestedQueryCost"]
    tiers = tmp_path / "tiers.toml"
    tiers.write_text(f"[PROFESSIONAL]\npoints_per_minute = {3 * cost}\n")
    client = await aiohttp_client(create_app(_settings(sqlite_demo_url, tiers_file=tiers)))
    token = make_token([tenant_id], sub=f"limited-{uuid.uuid4().hex}")
    hits = _hits()
    statuses = [(await _post(client, DASHBOARD, variables, token)) for _ in range(4)]
    assert [status for status, _ in statuses] == [200, 200, 200, 429]
    assert statuses[3][1]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert _hits() == hits + 3  # the refusal was a hit too, refused by the points budget


async def test_the_callers_own_budget_is_never_stored(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    client = await aiohttp_client(create_app(_settings(sqlite_demo_url)))
    tenant_id = await _first_tenant(sqlite_demo_url)
    token = make_token([tenant_id])
    query = '{ viewer { subject rateLimit { remaining } } tenant { name } }'
    hits = _hits()
    for _ in range(2):
        await _ok(client, query, None, token)
    assert _hits() == hits


async def test_on_redis_and_when_redis_is_down(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    namespace = f"test-{uuid.uuid4().hex}:"
    shared = await aiohttp_client(create_app(_settings(sqlite_demo_url, redis_url=redis_url(), cache_namespace=namespace)))
    replica = await aiohttp_client(create_app(_settings(sqlite_demo_url, redis_url=redis_url(), cache_namespace=namespace)))
    down = await aiohttp_client(create_app(_settings(sqlite_demo_url, redis_url="redis://127.0.0.1:1/15")))
    plain = await aiohttp_client(create_app(_settings(sqlite_demo_url, cache=False)))
    tenant_id = await _first_tenant(sqlite_demo_url)
    token = make_token([tenant_id])
    variables = {"id": tenant_id, "from": "2025-10-01", "to": "2026-01-31"}
    expected = (await _ok(plain, DASHBOARD, variables, token))["data"]
    hits, errors = _hits(), CACHE_ERRORS.labels("response")._value.get()
    assert (await _ok(shared, DASHBOARD, variables, token))["data"] == expected
    assert (await _ok(replica, DASHBOARD, variables, token))["data"] == expected  # from the other replica's entry
    assert _hits() == hits + 1
    for _ in range(2):
        assert (await _ok(down, DASHBOARD, variables, token))["data"] == expected
    assert CACHE_ERRORS.labels("response")._value.get() > errors


async def test_a_persisted_query_hash_finds_the_full_documents_answer(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    client = await aiohttp_client(create_app(_settings(sqlite_demo_url)))
    tenant_id = await _first_tenant(sqlite_demo_url)
    headers = {"Authorization": f"Bearer {make_token([tenant_id])}"}
    variables = {"id": tenant_id, "from": "2025-12-01", "to": "2026-01-31"}
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(DASHBOARD.encode()).hexdigest()}}
    full = await client.post("/graphql", json={"query": DASHBOARD, "variables": variables, "extensions": persisted},
                             headers=headers)
    hits = _hits()
    hashed = await client.post("/graphql", json={"variables": variables, "extensions": persisted}, headers=headers)
    assert _hits() == hits + 1
    assert (await hashed.json())["data"] == (await full.json())["data"]
    dry = await client.post("/graphql", json={"query": DASHBOARD, "variables": variables,
                                              "extensions": {"costDryRun": True}}, headers=headers)
    assert (await dry.json())["data"] is None and _hits() == hits + 1  # a dry run is never answered from the cache
