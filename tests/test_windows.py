"""In-process moving windows decide as the library's own: admitted while the points inside the
window and the hit's own fit the limit; points leave the window after it."""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter

from auth.windows import MemoryWindows


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_points_fill_the_window_and_leave_it_after_a_minute() -> None:
    storage, clock = MemoryWindows(), Clock()
    storage.clock = clock  # type: ignore[method-assign]
    limiter, item = MovingWindowRateLimiter(storage), RateLimitItemPerMinute(100)
    assert await limiter.hit(item, "k", cost=60)
    clock.now += 30
    assert await limiter.hit(item, "k", cost=40)
    assert not await limiter.hit(item, "k", cost=1)  # 100 spent
    assert await limiter.hit(item, "other", cost=100)  # keys are apart
    stats = await limiter.get_window_stats(item, "k")
    assert stats.remaining == 0 and stats.reset_time == 1_000_000.0 + 60  # the oldest hit leaves first
    clock.now += 31  # the first hit (60) left the window, the second (40) not yet
    assert not await limiter.hit(item, "k", cost=61)
    assert await limiter.hit(item, "k", cost=60)
    assert (await limiter.get_window_stats(item, "k")).remaining == 0
    assert not await limiter.hit(item, "k", cost=101)  # more than the whole limit
    await limiter.clear(item, "k")
    assert (await limiter.get_window_stats(item, "k")).remaining == 100
