"""In-process rate-limit windows that cost the same whatever the budget's size.

`limits`' memory storage keeps one list entry per point of a moving window and inserts new ones
at the front: a hit costs time in proportion to the points already spent this minute (a
300,000-point budget moved 2 MB of memory per request), and it starts a pruning pass (a thread
hop per key, under the key's lock) on nearly every hit. Here a moving window is a queue of
(time, points) hits with a running total, pruned as it is read, and the idle-key sweep runs at
most once a second. The decisions are the library's: a hit is admitted when the points inside
the window plus its own fit the limit. Fixed and sliding-window counters are the library's own.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from limits.aio.storage import MemoryStorage


@dataclass
class _Window:
    hits: deque[tuple[float, int]] = field(default_factory=deque)
    total: int = 0

    def prune(self, cutoff: float) -> None:
        while self.hits and self.hits[0][0] < cutoff:
            self.total -= self.hits.popleft()[1]


class MemoryWindows(MemoryStorage):
    SWEEP_SECONDS = 1.0
    clock = staticmethod(time.time)  # the tests' clock

    def __init__(self) -> None:
        super().__init__()
        self.windows: dict[str, _Window] = {}
        self._next_sweep = self._next_expiry = 0.0
        self._expiries: dict[str, float] = {}  # each key's window length, for the sweep

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = self.clock()
        self._sweep(now)
        window = self.windows.setdefault(key, _Window())
        self._expiries[key] = expiry
        window.prune(now - expiry)
        if window.total + amount > limit:
            return False
        window.hits.append((now, amount))
        window.total += amount
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(the oldest hit inside the window, the points inside it)"""
        now = self.clock()
        window = self.windows.get(key)
        if window is None:
            return now, 0
        window.prune(now - expiry)
        return (window.hits[0][0], window.total) if window.hits else (now, 0)

    async def clear(self, key: str) -> None:
        await super().clear(key)
        self.windows.pop(key, None)

    async def reset(self) -> int | None:
        count = max(await super().reset() or 0, len(self.windows))
        self.windows.clear()
        return count

    async def _MemoryStorage__schedule_expiry(self) -> None:  # the library's private hook (counters)
        # later pruning changes no decision: counters are read, which drops expired ones, first
        if time.monotonic() >= self._next_expiry:
            self._next_expiry = time.monotonic() + self.SWEEP_SECONDS
            await super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]

    def _sweep(self, now: float) -> None:
        """Drops the windows of keys nobody used for a whole window, at most once a second."""
        if time.monotonic() < self._next_sweep:
            return
        self._next_sweep = time.monotonic() + self.SWEEP_SECONDS
        for key in [k for k, w in self.windows.items() if not w.hits or w.hits[-1][0] < now - self._expiries.get(k, 0)]:
            self.windows.pop(key, None)
            self._expiries.pop(key, None)
