"""The data path the app owns: engine, one Redis client, the result cache, data versions.

Created once per app by `gateway.resources.data_ctx` and closed on cleanup. Requests reach it
through their context; `loaders()` gives each request a fresh batching layer over it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiocache import BaseCache, SimpleMemoryCache
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from loaders.dataloaders import Loaders
from loaders.outage import DatabaseHealth
from loaders.versions import DataVersions


@dataclass
class DataService:
    engine: AsyncEngine
    redis: Redis | None = None
    # results shared between requests (and replicas, when it is Redis-backed); keys hold the tenant
    cache: BaseCache = field(default_factory=SimpleMemoryCache)
    versions: DataVersions = field(default_factory=DataVersions)
    # whether the database answers: outages logged once, requests during one refused uncharged
    health: DatabaseHealth = field(init=False)

    def __post_init__(self) -> None:
        self.health = DatabaseHealth(self.engine)

    def loaders(self) -> Loaders:
        return Loaders(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()
        if self.redis is not None:
            await self.redis.aclose()
