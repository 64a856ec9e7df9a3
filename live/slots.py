"""Concurrent subscriptions per principal, counted across replicas.

With Redis each principal has a sorted set of leases scored by their expiry; a replica renews
its live leases every TTL/3, so the leases of a replica that died expire by themselves. Without
Redis (or while it fails) each process counts its own, like the rate limits.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.tasks import cancelled

log = logging.getLogger("gateway.live")
LEASE_SECONDS = 30.0

# KEYS[1] the principal's lease set; ARGV: now, expiry, limit, lease id
ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil((tonumber(ARGV[2]) - tonumber(ARGV[1])) * 1000))
return 1
"""


@dataclass(frozen=True)
class Lease:
    key: str
    id: str
    shared: bool  # held in Redis (else in this process)


class SubscriptionSlots:
    def __init__(self, redis: Redis | None = None, prefix: str = "gateway:", lease_seconds: float = LEASE_SECONDS) -> None:
        self.redis = redis
        self.prefix = prefix
        self.lease_seconds = lease_seconds
        self.local: dict[str, set[str]] = {}
        self.held: set[Lease] = set()
        self.fallbacks = 0
        self._acquire = redis.register_script(ACQUIRE) if redis is not None else None
        self._renewer: asyncio.Task[None] | None = None

    async def acquire(self, principal: str, limit: int) -> Lease | None:
        """A lease, or None when the principal already holds `limit` subscriptions."""
        lease_id = uuid.uuid4().hex
        if self._acquire is not None:
            key = f"{self.prefix}live-slots:{principal}"
            now = time.time()
            try:
                granted = await self._acquire(keys=[key], args=[now, now + self.lease_seconds, limit, lease_id])
            except (RedisError, OSError) as error:
                self.fallbacks += 1
                log.warning("subscription slots unavailable in Redis (%s); counting per process", error)
            else:
                return self._hold(Lease(key, lease_id, shared=True)) if granted else None
        mine = self.local.setdefault(principal, set())
        if len(mine) >= limit:
            return None
        mine.add(lease_id)
        return self._hold(Lease(principal, lease_id, shared=False))

    def _hold(self, lease: Lease) -> Lease:
        self.held.add(lease)
        return lease

    async def release(self, lease: Lease) -> None:
        self.held.discard(lease)
        if not lease.shared:
            mine = self.local.get(lease.key, set())
            mine.discard(lease.id)
            if not mine:
                self.local.pop(lease.key, None)
            return
        assert self.redis is not None
        try:
            await self.redis.zrem(lease.key, lease.id)
        except (RedisError, OSError):
            pass  # it expires by itself

    async def start(self) -> None:
        if self.redis is not None:
            self._renewer = asyncio.create_task(self._renew_forever(), name="live-slot-renewer")

    async def close(self) -> None:
        await cancelled(self._renewer)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            with suppress(RedisError, OSError):
                await self.renew()

    async def renew(self) -> None:
        assert self.redis is not None
        expiry = time.time() + self.lease_seconds
        shared = [lease for lease in self.held if lease.shared]
        async with self.redis.pipeline(transaction=False) as pipe:
            for lease in shared:
                pipe.zadd(lease.key, {lease.id: expiry}, xx=True)
                pipe.expire(lease.key, int(self.lease_seconds) + 1)
            await pipe.execute()
