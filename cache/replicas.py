"""Single flight across replicas: one process computes missing entries, the others wait for them.

With a shared Redis, the first replica to miss takes a short lock named after the entries
(SET NX PX); the others poll the shared cache for them for up to `wait_seconds`, then compute
themselves, so a slow or dead leader never blocks a request for long. Without Redis, or while it
fails, everybody computes (`Flights` still dedupes within a process).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis.asyncio import Redis

from cache.results import ResultCache
from telemetry.metrics import CACHE_ERRORS, CACHE_SHARED


class ReplicaFlights:
    def __init__(
        self, cache: ResultCache, redis: Redis, namespace: str,
        lock_seconds: float = 10.0, wait_seconds: float = 2.0,
    ) -> None:
        self.cache, self.redis, self.namespace = cache, redis, namespace
        self.lock_seconds, self.wait_seconds = lock_seconds, wait_seconds
        self.waited = 0  # misses answered by another replica's computation (for tests)

    async def run(self, keys: Sequence[str], compute: Callable[[], Awaitable[list[Any]]]) -> list[Any]:
        """`compute` stores the values under `keys` and returns them in that order."""
        if not self.cache.available:
            return await compute()
        lock = f"{self.namespace}lock:{hashlib.sha256(chr(10).join(keys).encode()).hexdigest()[:32]}"
        token = uuid.uuid4().hex
        try:
            leader = await self.redis.set(lock, token, nx=True, px=int(self.lock_seconds * 1000))
        except Exception:  # noqa: BLE001 - no lock, no waiting: compute
            CACHE_ERRORS.labels("redis").inc()
            return await compute()
        if leader:
            try:
                # another replica may have stored them between our miss and our lock
                found = await self._stored(keys)
                return found if found is not None else await compute()
            finally:
                await self._release(lock, token)
        return await self._follow(lock, keys, compute)

    async def _follow(self, lock: str, keys: Sequence[str], compute: Callable[[], Awaitable[list[Any]]]) -> list[Any]:
        deadline, pause = time.monotonic() + self.wait_seconds, 0.005
        while time.monotonic() < deadline:
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 0.05)
            found = await self._stored(keys)
            if found is not None:
                self.waited += 1
                CACHE_SHARED.labels(self.cache.layer).inc()
                return found
            try:
                if not await self.redis.exists(lock):
                    break  # the leader gave up without storing (an error): compute
            except Exception:  # noqa: BLE001
                break
        return await compute()

    async def _stored(self, keys: Sequence[str]) -> list[Any] | None:
        try:
            values = list(await self.cache.backend.multi_get(list(keys)))
        except Exception:  # noqa: BLE001 - polled, so not counted: the caller computes
            return None
        return values if all(value is not None for value in values) else None

    async def _release(self, lock: str, token: str) -> None:
        try:
            if await self.redis.get(lock) == token.encode():  # expired and taken by another: leave it
                await self.redis.delete(lock)
        except Exception:  # noqa: BLE001 - it expires by itself
            pass
