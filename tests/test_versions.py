"""Per-tenant data versions: bumped by writes, shared through Redis, local without it."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from loaders.versions import DataVersions
from tests.services import redis_url


async def test_local_versions_move_per_tenant() -> None:
    versions = DataVersions()
    assert await versions.get("a") == 0
    assert await versions.bump("a") == 1
    assert await versions.get_many(["a", "b"]) == {"a": 1, "b": 0}


async def test_two_replicas_share_versions_through_redis() -> None:
    url = redis_url()
    first, second = Redis.from_url(url), Redis.from_url(url)
    tenant = f"t-{uuid.uuid4().hex}"
    try:
        a, b = DataVersions(first), DataVersions(second)
        before = await b.get(tenant)
        await a.bump(tenant)
        assert await b.get(tenant) == before + 1
    finally:
        await first.delete(f"gateway:data-version:{tenant}")
        await first.aclose()
        await second.aclose()


async def test_redis_down_falls_back_without_failing() -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    versions = DataVersions(dead)
    try:
        assert await versions.bump("t") == 1
        assert await versions.get("t") == 1
    finally:
        await dead.aclose()
