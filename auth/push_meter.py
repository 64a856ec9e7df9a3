"""Pushes are charged like the queries they spare: per credential, in batches.

A subscription's start is charged by the RequestGuard like any operation. Each later push
costs the same points again. Charging one push at a time would put a rate-limit hit (a Redis
round trip with REDIS_URL) on the delivery path of every subscriber, so pushes are added up
per credential and charged once per interval (2 s), after delivery. When the budget refuses a
batch, every subscription of that credential that pushed in it ends with RATE_LIMITED.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from auth.limits import RateLimits, principal_key
from auth.metering import rate_limited
from auth.principal import Principal
from core.tasks import cancelled

log = logging.getLogger("gateway.live")
FLUSH_SECONDS = 2.0
YIELD_EVERY = 100  # credentials charged between two returns to the event loop


class Failable(Protocol):
    def fail(self, error: BaseException) -> None: ...


class _Owed:
    __slots__ = ("principal", "points", "members")

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.points = 0
        self.members: set[Failable] = set()


class PushMeter:
    def __init__(self, limits: RateLimits, interval: float = FLUSH_SECONDS) -> None:
        self.limits = limits
        self.interval = interval
        self.charged = 0  # points charged for pushes since start (tests, /ready)
        self._owed: dict[str, _Owed] = {}
        self._task: asyncio.Task[None] | None = None

    def owe(self, principal: Principal, points: int, member: Failable) -> None:
        key = principal_key(principal)
        owed = self._owed.get(key)
        if owed is None:
            owed = self._owed[key] = _Owed(principal)
        owed.points += points
        owed.members.add(member)

    async def flush(self) -> None:
        owed, self._owed = self._owed, {}
        for number, entry in enumerate(owed.values(), 1):
            if number % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # thousands of credentials must not stall deliveries
            refused = await self.limits.spend_points(entry.principal, entry.points)
            if refused is None:
                self.charged += entry.points
                continue
            error = rate_limited(refused, "points")
            for member in entry.members:
                member.fail(error)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._flush_forever(), name="live-push-meter")

    async def close(self) -> None:
        await cancelled(self._task)
        await self.flush()

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except Exception:  # noqa: BLE001 - the next round tries again; limits degrade by themselves
                log.exception("charging live pushes failed")
