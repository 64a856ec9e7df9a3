"""The Forecaster: worker processes that fit forecasts, and the fits they made, reused until
the tenant's data changes. One per application, created and closed by a cleanup context.

Fitting is CPU-bound Python (scipy's optimiser calls back into Python), so in a thread it
would hold the GIL and stall the event loop in ~5 ms slices; worker processes keep the loop
free. Results are cached in-process (aiocache's SimpleMemoryCache) under a key that holds
the tenant id, the request's shape, the history's end day and the tenant's data fingerprint,
so a new row (or a new day) makes a new key and the old entry simply ages out.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import os
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from aiocache import SimpleMemoryCache

T = TypeVar("T")
log = logging.getLogger("gateway.forecast")
# Fingerprints catch appended and deleted rows at once; the TTL bounds what they cannot see
# (rows UPDATEd in place) and how long entries of superseded fingerprints occupy memory.
TTL_SECONDS = 3600
# Leave a core to the event loop: on two cores one worker, never more than two (fits are short
# and cached; more workers would mostly add memory, ~150 MB each with statsmodels loaded).
WORKERS = max(1, min(2, (os.cpu_count() or 1) - 1))
WORKER_NICENESS = 10  # the OS schedules the event loop's process ahead of busy workers


@dataclass
class ForecastStats:
    """Counters for tests, the bench and debugging; never reset by the gateway itself."""

    fits: int = 0  # models fitted (cache misses)
    hits: int = 0  # answered from the cache
    shared: int = 0  # joined an identical fit already running

    def snapshot(self) -> dict[str, int]:
        return {"fits": self.fits, "hits": self.hits, "shared": self.shared}


class FitPool:
    """A spawn-context process pool, started on first use (or by `warm`) and rebuilt if a worker dies.

    Spawned workers import the parent's main module: a script that embeds the gateway needs
    the usual `if __name__ == "__main__":` guard. Should workers still fail to start, fits
    fall back to threads (slower to share the CPU with the loop, but correct) with a warning.
    """

    def __init__(self, workers: int = WORKERS) -> None:
        self.workers = workers
        self._pool: Executor | None = None
        self._threads_only = False

    def _executor(self) -> Executor:
        if self._pool is None:
            if self._threads_only:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="forecast")
            else:
                # spawn, not fork: forking a process with a running event loop and driver
                # threads copies their locks and sockets into the child
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=context, initializer=_lower_priority
                )
        return self._pool

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        for attempt in range(3):
            try:
                return await loop.run_in_executor(self._executor(), fn, *args)
            except BrokenProcessPool:  # a worker died (OOM, signal) or could not start
                if self._pool is not None:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
                if attempt == 1:
                    log.warning("forecast worker processes keep failing; fitting in threads from now on")
                    self._threads_only = True
        raise RuntimeError("unreachable: the thread pool does not break")

    async def warm(self, job: Callable[[], object]) -> None:
        """Start the workers and run `job` in each (imports, a tiny fit), so the first fit is not slower."""
        await asyncio.gather(*(self.run(job) for _ in range(self.workers)))

    async def close(self) -> None:
        """Stop the workers, letting a running fit finish (in a thread: joining blocks)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)


def _lower_priority() -> None:
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)


class Forecaster:
    """Worker pool + fit cache + the fits in flight. `start` warms the pool in the background
    (readiness in `state`); `close` cancels that and stops the workers.

    Results are cached under keys the caller builds (`cache_key`: tenant, request shape,
    history end, data fingerprint); identical concurrent requests share one fit.
    """

    def __init__(self, workers: int = WORKERS, warm_up: Callable[[], object] | None = None) -> None:
        self.pool = FitPool(workers)
        self.stats = ForecastStats()
        self.state = "cold"  # cold (warm-up not asked for) | warming | ready | failed
        self._warm_up = warm_up
        self._warming: asyncio.Task[None] | None = None
        self._cache = SimpleMemoryCache()
        self._running: dict[str, asyncio.Task[Any]] = {}

    def start(self) -> None:
        if self._warm_up is not None and self._warming is None:
            self.state = "warming"
            self._warming = asyncio.get_running_loop().create_task(self._warm(self._warm_up))

    async def _warm(self, job: Callable[[], object]) -> None:
        started = time.perf_counter()
        try:
            await self.pool.warm(job)
        except Exception:  # noqa: BLE001 - fits will show the error again; start-up goes on
            log.exception("forecast warm-up failed")
            self.state = "failed"
            return
        self.state = "ready"
        log.info("forecast workers ready in %.1f s", time.perf_counter() - started)

    async def close(self) -> None:
        if self._warming is not None:
            self._warming.cancel()
            await asyncio.gather(self._warming, return_exceptions=True)
        for task in list(self._running.values()):
            task.cancel()
        await self.pool.close()
        await self._cache.clear()

    async def cached(self, key: str, compute: Callable[[], Awaitable[T]]) -> T:
        """The cached result for `key`, else `compute()` once, however many requests ask at once.

        The computation is a task of its own, shielded: a client that disconnects does not
        cancel a fit that other requests (or the next identical one) are waiting for."""
        hit = await self._cache.get(key)
        if hit is not None:
            self.stats.hits += 1
            return hit  # type: ignore[no-any-return]
        loop = asyncio.get_running_loop()
        task = self._running.get(key)
        if task is not None and task.get_loop() is loop:  # (tests run one Forecaster over many loops)
            self.stats.shared += 1
        else:
            task = loop.create_task(self._compute_and_store(key, compute))
            task.add_done_callback(self._forget)
            self._running[key] = task
        return await asyncio.shield(task)  # type: ignore[no-any-return]

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a worker process (counted as a fit)."""
        self.stats.fits += 1
        return await self.pool.run(fn, *args)

    async def _compute_and_store(self, key: str, compute: Callable[[], Awaitable[T]]) -> T:
        result = await compute()
        await self._cache.set(key, result, ttl=TTL_SECONDS)
        return result

    def _forget(self, task: asyncio.Task[Any]) -> None:
        for key, running in list(self._running.items()):
            if running is task:
                del self._running[key]
        if not task.cancelled():
            task.exception()  # awaiting requests re-raise it; nobody else should log it as unretrieved

    async def clear(self) -> None:
        """Forget every fit (tests, and operators who changed data in place)."""
        await self._cache.clear()


def cache_key(
    tenant_id: str, metric: str, granularity: str, currency: str, horizon: int, end: object, fingerprint: str
) -> str:
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:20]
    return f"{tenant_id}:{metric}:{granularity}:{currency}:{horizon}:{end}:{digest}"
