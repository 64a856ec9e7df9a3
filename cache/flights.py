"""Single flight: identical concurrent misses run one load and share its result."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from telemetry.metrics import CACHE_SHARED


class Flights:
    def __init__(self, layer: str) -> None:
        self._running: dict[Hashable, asyncio.Future[Any]] = {}
        self.layer = layer  # the cache layer it saves work for, in the metrics
        self.shared = 0  # loads joined instead of run (for tests)

    async def run(self, key: Hashable, load: Callable[[], Awaitable[Any]]) -> Any:
        running = self._running.get(key)
        if running is not None:
            self.shared += 1
            CACHE_SHARED.labels(self.layer).inc()
            return await asyncio.shield(running)
        task = asyncio.ensure_future(load())
        self._running[key] = task
        task.add_done_callback(lambda _done: self._running.pop(key, None))
        return await asyncio.shield(task)
