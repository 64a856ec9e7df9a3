"""A per-tenant data version that every write bumps, so caches never serve stale numbers.

With Redis the counters are shared by every replica (INCR is atomic); without it they live in
this process. If Redis fails, the local counters take over (logged once per outage): a cache
keyed on them may then miss more often, never serve another version's numbers as current.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("gateway.versions")
PREFIX = "gateway:data-version:"


class DataVersions:
    def __init__(self, redis: Redis | None = None) -> None:
        self.redis = redis
        self._local: dict[str, int] = defaultdict(int)
        self._degraded = False

    async def get_many(self, tenant_ids: Sequence[str]) -> dict[str, int]:
        if self.redis is not None and tenant_ids:
            try:
                values = await self.redis.mget([PREFIX + tenant_id for tenant_id in tenant_ids])
                self._recovered()
                return {tenant_id: int(value or 0) for tenant_id, value in zip(tenant_ids, values)}
            except (RedisError, OSError) as error:
                self._degrade(error)
        return {tenant_id: self._local[tenant_id] for tenant_id in tenant_ids}

    async def get(self, tenant_id: str) -> int:
        return (await self.get_many([tenant_id]))[tenant_id]

    async def bump(self, tenant_id: str) -> int:
        # the local counter moves too, so a later fallback never reuses a version number
        self._local[tenant_id] += 1
        if self.redis is not None:
            try:
                value = int(await self.redis.incr(PREFIX + tenant_id))
                self._recovered()
                self._local[tenant_id] = max(self._local[tenant_id], value)
                return value
            except (RedisError, OSError) as error:
                self._degrade(error)
        return self._local[tenant_id]

    def _degrade(self, error: Exception) -> None:
        if not self._degraded:
            self._degraded = True
            log.warning("data versions: Redis unavailable (%s); using per-process counters", type(error).__name__)

    def _recovered(self) -> None:
        if self._degraded:
            self._degraded = False
            log.warning("data versions: Redis is back")
