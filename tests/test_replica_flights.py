"""Single flight across replicas: two app instances sharing one Redis run each statement once for
many identical concurrent misses, and a lock nobody releases never blocks for long."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any

from aiocache import SimpleMemoryCache
from redis.asyncio import Redis
from sqlalchemy import event

from cache.replicas import ReplicaFlights
from cache.results import ResultCache
from gateway import appkeys
from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import SECRET, make_token
from tests.services import redis_url
from tests.test_cache import DASHBOARD, _first_tenant

FACTS = ("rollup_", "fx_rates")  # the statements the result cache saves (not auth, alerts or tenants)


def _settings(url: str, **extra: Any) -> Settings:
    return Settings(database_url=url, jwt_secret=SECRET, rollup_check_seconds=0, response_cache=False, **extra)


def _count(app: Any, seen: list[str]) -> None:
    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if any(name in statement for name in FACTS):
            seen.append(statement)

    event.listen(app[appkeys.DATA].engine.sync_engine, "before_cursor_execute", before)


async def test_identical_misses_on_two_replicas_run_one_statement_each(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    namespace = f"test-{uuid.uuid4().hex}:"
    replicas = [
        await aiohttp_client(create_app(_settings(sqlite_demo_url, redis_url=redis_url(), cache_namespace=namespace)))
        for _ in range(2)
    ]
    alone = await aiohttp_client(create_app(_settings(sqlite_demo_url)))  # one process, memory cache
    tenant_id = await _first_tenant(sqlite_demo_url)
    headers = {"Authorization": f"Bearer {make_token([tenant_id])}"}
    # whole months, and a previous period of other months: each load's set of months is the same
    # whatever the order the loads run in
    body = {"query": DASHBOARD, "variables": {"id": tenant_id, "from": "2025-09-01", "to": "2025-12-31"}}
    once: list[str] = []
    shared: list[str] = []
    _count(alone.app, once)
    for client in replicas:
        _count(client.app, shared)

    async def ask(client: Any) -> Any:
        response = await client.post("/graphql", json=body, headers=headers)
        assert response.status == 200
        return (await response.json())["data"]

    expected = await ask(alone)
    answers = await asyncio.gather(*(ask(replicas[i % 2]) for i in range(8)))
    assert all(answer == expected for answer in answers)
    assert len(once) > 0
    # each statement once across both replicas; except that a request reads a range's traffic
    # packs (and the labels) once for all the loads it counts over them: when two requests each
    # compute another of those loads (each holding that result's flight), each reads them, never
    # more often than there are such loads
    assert sorted(_without_shared_reads(shared)) == sorted(_without_shared_reads(once))
    reads, shapes = set(shared) - set(_without_shared_reads(shared)), len(TRAFFIC_SHAPES)
    assert reads == set(once) - set(_without_shared_reads(once))
    assert all(shared.count(read) <= once.count(read) * shapes for read in reads)  # (once: a read per range)


# what DASHBOARD counts over one range's packs: the totals (metrics, funnel, login status) and
# visitors by channel; the labels serve the two loads split by channel (traffic, revenue)
TRAFFIC_SHAPES = ("totals", "channel")


def _without_shared_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "rollup_traffic_packs" not in s and "FROM rollup_labels" not in s]


async def test_a_lock_left_behind_only_delays_up_to_the_wait() -> None:
    redis = Redis.from_url(redis_url())
    try:
        cache = ResultCache(SimpleMemoryCache(), "test")
        flights = ReplicaFlights(cache, redis, f"test-{uuid.uuid4().hex}:", wait_seconds=0.1)
        keys = ["k"]
        # a leader that died holding the lock: the follower waits, then computes itself
        await redis.set(f"{flights.namespace}lock:{hashlib.sha256(b'k').hexdigest()[:32]}", "dead", px=5000)
        calls: list[int] = []

        async def compute() -> list[Any]:
            calls.append(1)
            await cache.set_many([("k", 42)], ttl=10)
            return [42]

        assert await flights.run(keys, compute) == [42]
        assert calls == [1] and flights.waited == 0
        # a follower finds what a leader stored
        assert await flights.run(keys, compute) == [42] and calls == [1]
    finally:
        await redis.aclose()
