"""Back-pressure: a bounded number of batches written at once, a bounded number waiting.

A batch over both bounds is refused at once (the client gets 503 with Retry-After) rather
than buffered without bound. At shutdown the queue closes: new batches are refused, the ones
admitted finish (their clients get their answers after the commit).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class QueueFull(Exception):
    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class WriteQueue:
    def __init__(self, in_flight: int, waiting: int, retry_after: int = 1) -> None:
        self.capacity = in_flight + waiting
        self.retry_after = retry_after
        self._slots = asyncio.Semaphore(in_flight)
        self._admitted = 0
        self._closed = False
        self.closing = asyncio.Event()  # set when shutdown starts; bodies still arriving are refused
        self._idle = asyncio.Event()
        self._idle.set()
        self.refused = 0

    @property
    def admitted(self) -> int:
        return self._admitted

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Holds a place from before the batch is read to after its commit."""
        if self._closed:
            self.refused += 1
            raise QueueFull("the gateway is shutting down; retry on another instance", self.retry_after)
        if self._admitted >= self.capacity:
            self.refused += 1
            raise QueueFull("the write queue is full; retry later", self.retry_after)
        self._admitted += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._admitted -= 1
            if self._admitted == 0:
                self._idle.set()

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """One of the `in_flight` write slots, for the transaction itself."""
        async with self._slots:
            yield

    async def close(self, timeout: float) -> bool:
        """Refuses new batches and waits for the admitted ones; False if some did not finish."""
        self._closed = True
        self.closing.set()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True
