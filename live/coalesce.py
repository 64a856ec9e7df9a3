"""liveMetrics pushes: at most one per interval, however many events arrive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

from live.inbox import Inbox


async def pushes(inbox: Inbox, interval: float, clock: Callable[[], float] = time.monotonic) -> AsyncIterator[None]:
    """Yields once per batch of events: right away after a quiet interval, else when the
    interval since the last push is over (trailing edge, so the last event is never left out).
    The caller's first push (the snapshot) is taken to be now."""
    last = clock()
    while True:
        await inbox.wait()
        delay = last + interval - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        inbox.clear()  # the push computed now covers everything that arrived until here
        last = clock()
        yield
