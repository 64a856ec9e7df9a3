"""DataService: what every request shares (engine, result cache, data versions), owned by the app."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from cache.flights import Flights
from cache.results import ResultCache
from loaders.cached import CachedFacts, Ttl
from loaders.dataloaders import Loaders
from loaders.rollup_tables import FX_VERSION
from loaders.rollups import SOURCES, check_changes, refresh_days
from loaders.versions import DataVersions

log = logging.getLogger(__name__)


class DataService:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        rollups: bool = True,
        cache: ResultCache | None = None,
        ttl: Ttl = Ttl(),
        version_seconds: float = 1.0,
    ) -> None:
        self.engine = engine
        self.rollups = rollups
        self.cache = cache
        self.versions = DataVersions(engine, version_seconds)
        self.flights = Flights()
        self.cached = None if cache is None else CachedFacts(cache, self.versions, ttl, self.flights)

    def loaders(self) -> Loaders:
        """Fresh per request: DataLoader batching and memoisation never outlive it."""
        return Loaders(self.engine, rollups=self.rollups, cached=self.cached)

    async def written(self, tenant_id: str, days: Iterable[date], sources: Sequence[str] = SOURCES) -> None:
        """The hook for writers: rebuild the rollups of the days written and invalidate the cache."""
        await refresh_days(self.engine, tenant_id, days, sources)
        self.versions.expire([tenant_id])

    async def check(self) -> set[str]:
        """The periodic change check (loaders/rollups.py); returns the tenants rebuilt."""
        changed = await check_changes(self.engine)
        if changed:
            self.versions.expire(changed | {FX_VERSION})
        return changed

    async def close(self) -> None:
        if self.cache is not None:
            await self.cache.close()
