"""The data path the app owns: engine, one Redis client, the result cache, data versions.

Created once per app by `gateway.resources.data_ctx` and closed on cleanup. Requests reach it
through their context; `loaders()` gives each request a fresh batching layer over it, whose
loads go through the result cache (loaders/cached.py) and the exact rollups (loaders/rollups.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from aiocache import BaseCache, RedisCache, SimpleMemoryCache
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cache.flights import Flights
from cache.replicas import ReplicaFlights
from cache.results import ResultCache
from loaders.cached import CachedFacts, Ttl
from loaders.dataloaders import Loaders
from loaders.outage import DatabaseHealth
from loaders.rollup_tables import FX_VERSION, data_versions
from loaders.rollups import SOURCES, check_changes, refresh_days
from loaders.versions import DataVersions


@dataclass
class DataService:
    engine: AsyncEngine
    redis: Redis | None = None
    # results shared between requests (and replicas, when it is Redis-backed); keys hold the tenant
    cache: BaseCache = field(default_factory=SimpleMemoryCache)
    versions: DataVersions = field(default_factory=DataVersions)
    rollups: bool = True  # False: every load reads the raw rows (the benchmarks' baseline)
    caching: bool = True  # False: every load runs its SQL
    ttl: Ttl = field(default_factory=Ttl)
    # whether the database answers: outages logged once, requests during one refused uncharged
    health: DatabaseHealth = field(init=False)

    def __post_init__(self) -> None:
        self.health = DatabaseHealth(self.engine)
        self.results = ResultCache(self.cache, "redis" if isinstance(self.cache, RedisCache) else "memory")
        self.flights = Flights(self.results.layer)
        replicas = self.replica_flights(self.results)
        self.cached = CachedFacts(self.results, self.versions, self.ttl, self.flights, replicas) if self.caching else None
        self._stored_versions: dict[str, int] | None = None

    def replica_flights(self, results: ResultCache) -> ReplicaFlights | None:
        """With the cache in Redis, one replica computes a missing entry of `results` and the
        others wait for it (cache/replicas.py); else None."""
        if self.redis is None or not isinstance(self.cache, RedisCache):
            return None
        return ReplicaFlights(results, self.redis, f"{self.cache.namespace or ''}{results.layer}:")

    def loaders(self) -> Loaders:
        return Loaders(self.engine, rollups=self.rollups, cached=self.cached)

    async def written(self, tenant_id: str, days: Iterable[date], sources: Sequence[str] = SOURCES) -> None:
        """The hook for writers: rebuild the rollups of the days written, then bump the version."""
        await refresh_days(self.engine, tenant_id, days, sources)
        await self.versions.bump(tenant_id)

    async def fx_written(self) -> None:
        """The hook for writers of fx rates: cached rates (and so converted money) are dropped."""
        await self.versions.bump(FX_VERSION)

    async def check(self) -> set[str]:
        """The periodic change check: rebuild what changed behind the gateway's back, and bump
        the version of every tenant rebuilt since the last check, here or by another process
        (`rollup refresh`, another replica). Returns the tenants bumped ("" is the fx rates)."""
        changed = await check_changes(self.engine)
        async with self.engine.connect() as conn:
            stored = dict((await conn.execute(select(data_versions.c.tenant_id, data_versions.c.version))).all())
        if self._stored_versions is not None:
            changed |= {t for t, v in stored.items() if self._stored_versions.get(t) != v}
        self._stored_versions = stored
        for tenant_id in sorted(changed):
            await self.versions.bump(tenant_id)
        return changed

    async def close(self) -> None:
        await self.engine.dispose()
        if self.redis is not None:
            await self.redis.aclose()
