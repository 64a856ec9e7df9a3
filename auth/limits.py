"""Per-principal point budgets and request counts, and per-IP attempts, with `limits`.

Moving windows of one minute. With REDIS_URL the windows live in Redis, so every replica
charges the same budget (the Lua scripts check and charge atomically); if Redis fails, each
process falls back to its own in-memory windows and logs a warning: degraded, never a 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter
from redis.asyncio import Redis

from auth.principal import Principal
from auth.tiers import TierTable
from auth.windows import MemoryWindows
from core.errors import RateLimited

log = logging.getLogger("gateway.limits")
T = TypeVar("T")
Limiter = MovingWindowRateLimiter | SlidingWindowCounterRateLimiter
WARN_EVERY_SECONDS = 30.0


@dataclass(frozen=True)
class Budget:
    limit: int
    remaining: int
    reset_at: datetime
    cost: int
    admitted: bool

    @property
    def retry_after(self) -> int:
        return max(1, int(self.reset_at.timestamp() - time.time() + 0.999))


def principal_key(principal: Principal) -> str:
    return principal.budget_key


class RateLimits:
    def __init__(
        self, tiers: TierTable, storage: Storage | None = None, ip_per_minute: int = 30, window_seconds: int = 60
    ) -> None:
        self.tiers = tiers
        self.window = window_seconds  # the tiers' "per minute" figures apply to this window
        self._items: dict[tuple[int, str], RateLimitItem] = {}
        self.ip_item = self._item(ip_per_minute, "gateway-ip")
        self.primary = MovingWindowRateLimiter(storage) if storage is not None else None
        self.fallback = MovingWindowRateLimiter(MemoryWindows())
        # Rows written: a moving window keeps one entry per unit (a million rows a minute would
        # be a million list entries), the sliding-window counter two numbers per window.
        fallback_storage = self.fallback.storage
        self.write_primary = SlidingWindowCounterRateLimiter(storage) if storage is not None else None
        self.write_fallback = SlidingWindowCounterRateLimiter(fallback_storage)
        self.fallbacks = 0  # how often Redis failed; shown on /ready
        self._warned_at = 0.0

    async def charge_points(self, principal: Principal, cost: int) -> Budget:
        return await self._hit(self._points(principal), principal_key(principal), cost)

    async def spend_points(self, principal: Principal, cost: int) -> Budget | None:
        """Charges `cost` points like `charge_points`, without reading the window's stats when
        they are admitted (None); refused, nothing is charged and the budget says why."""
        return await self._spend(self._points(principal), principal_key(principal), cost)

    async def charge_rows(self, principal: Principal, rows: int) -> Budget:
        """Rows written: their own budget, so a big import does not starve the dashboards' reads."""
        item = self._item(self.tiers[principal.tier].write_rows_per_minute, "gateway-writes")
        return await self._hit(item, principal_key(principal), rows, writes=True)

    async def count_request(self, principal: Principal) -> Budget | None:
        """One request: None when admitted (the stats are read only for a refusal)."""
        item = self._item(self.tiers[principal.tier].requests_per_minute, "gateway-requests")
        return await self._spend(item, principal_key(principal), 1)

    async def points_left(self, principal: Principal) -> Budget:
        item = self._points(principal)
        return await self._guarded(lambda limiter: self._stats(limiter, item, principal_key(principal), 0, True))

    async def attempt(self, ip: str) -> Budget:
        """An unauthenticated request from `ip` (failed or missing credentials)."""
        return await self._hit(self.ip_item, ip, 1)

    def _points(self, principal: Principal) -> RateLimitItem:
        return self._item(self.tiers[principal.tier].points_per_minute, "gateway-points")

    def _item(self, amount: int, namespace: str) -> RateLimitItem:
        # made once per (amount, namespace): every request needs two of them
        found = self._items.get((amount, namespace))
        if found is None:
            found = self._items[(amount, namespace)] = RateLimitItemPerSecond(amount, multiples=self.window, namespace=namespace)
        return found

    async def _spend(self, item: RateLimitItem, key: str, cost: int) -> Budget | None:
        async def run(limiter: Limiter) -> Budget | None:
            if await limiter.hit(item, key, cost=cost):
                return None
            return await self._stats(limiter, item, key, cost, False)

        return await self._guarded(run)

    async def _hit(self, item: RateLimitItem, key: str, cost: int, writes: bool = False) -> Budget:
        async def run(limiter: Limiter) -> Budget:
            admitted = await limiter.hit(item, key, cost=cost)
            return await self._stats(limiter, item, key, cost, admitted)

        return await self._guarded(run, writes)

    @staticmethod
    async def _stats(limiter: Limiter, item: RateLimitItem, key: str, cost: int, admitted: bool) -> Budget:
        stats = await limiter.get_window_stats(item, key)
        reset = datetime.fromtimestamp(int(max(stats.reset_time, time.time())), UTC)  # whole seconds
        return Budget(item.amount, stats.remaining, reset, cost, admitted)

    async def _guarded(self, action: Callable[[Limiter], Awaitable[T]], writes: bool = False) -> T:
        primary = self.write_primary if writes else self.primary
        if primary is not None:
            try:
                return await action(primary)
            except Exception as error:  # noqa: BLE001 - any storage failure degrades to local limits
                self.fallbacks += 1
                self._warn(error)
        return await action(self.write_fallback if writes else self.fallback)

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("rate-limit storage unavailable (%s); using per-process limits", type(error).__name__)


def redis_storage(url: str, client: Redis | None = None, timeout: float = 0.5) -> Storage:
    """Windows in Redis (redis-py): through the app's client pool when given, so the app keeps
    one Redis client; otherwise a pool of its own with short timeouts, so a dead Redis degrades fast."""
    if client is not None:
        return RedisStorage(url, implementation="redispy", connection_pool=client.connection_pool)
    return RedisStorage(url, implementation="redispy", socket_timeout=timeout, socket_connect_timeout=timeout)


def write_limited(budget: Budget) -> RateLimited:
    return RateLimited(
        f"write limit of {budget.limit} rows per minute exceeded (this batch: {budget.cost} rows); "
        f"retry after {budget.retry_after} s",
        retryAfter=budget.retry_after,
        resetAt=budget.reset_at.isoformat(),
    )


def write_budget_json(budget: Budget) -> dict[str, object]:
    return {"rows": budget.cost, "limit": budget.limit, "remaining": budget.remaining,
            "resetAt": budget.reset_at.isoformat()}


def write_budget_headers(budget: Budget) -> dict[str, str]:
    return {"X-Write-Limit": str(budget.limit), "X-Write-Remaining": str(budget.remaining),
            "X-Write-Reset": str(int(budget.reset_at.timestamp()))}
