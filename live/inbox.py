"""One subscriber's bounded inbox: the broker never waits for a subscriber."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from live.events import ALL_TENANTS, RESYNC, LiveEvent, Resync

Item = LiveEvent | Resync


class Overflowed(Exception):
    """The subscriber fell more than its capacity behind; it is dropped, not silently thinned."""

    def __init__(self, capacity: int) -> None:
        super().__init__(f"more than {capacity} events waited for this subscriber")
        self.capacity = capacity


class Inbox:
    """Events of one tenant for one subscriber, in order, at most `capacity` waiting.

    `coalesce=True` (liveMetrics) keeps only that something happened: any number of events
    become one wake-up. Otherwise a full inbox ends the stream with `Overflowed`, so a slow
    consumer loses its own subscription while the others go on.
    """

    __slots__ = ("tenant_id", "capacity", "coalesce", "received", "_items", "_wake", "_overflowed", "_on_close")

    def __init__(self, tenant_id: str, capacity: int, coalesce: bool, on_close: Callable[[Inbox], None]) -> None:
        # on_close may run twice (overflow, then the subscriber's close): it must be idempotent
        self.tenant_id = tenant_id
        self.capacity = capacity
        self.coalesce = coalesce
        self._items: deque[Item] = deque()
        self._wake = asyncio.Event()
        self._overflowed = False
        self._on_close = on_close
        self.received = 0  # items ever offered: a group tells which events came after a member joined

    def offer(self, item: Item) -> None:
        if self._overflowed:
            return
        if self.coalesce:
            self._items.clear()
        elif len(self._items) >= self.capacity:
            # dropped at once: no more events are kept for it, it raises on its next read
            self._overflowed = True
            self._on_close(self)
        self._items.append(item)
        self.received += 1
        self._wake.set()

    def resync(self) -> None:
        self.offer(RESYNC)

    def pending(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        """Forget what waits (a liveMetrics push about to be computed covers it)."""
        self._items.clear()
        self._wake.clear()

    async def wait(self) -> None:
        """Until something waits."""
        while not self._items:
            self._wake.clear()
            await self._wake.wait()

    def __aiter__(self) -> Inbox:
        return self

    async def __anext__(self) -> Item:
        await self.wait()
        if self._overflowed:
            raise Overflowed(self.capacity)
        return self._items.popleft()

    @property
    def overflowed(self) -> bool:
        return self._overflowed

    def close(self) -> None:
        self._on_close(self)


class FanOut:
    """Local subscribers by tenant; `deliver` hands an event to each without waiting."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._by_tenant: dict[str, set[Inbox]] = {}
        # ids of recent events: a publish retried after an ambiguous failure is not seen twice
        self._recent: deque[str] = deque(maxlen=4096)
        self._recent_ids: set[str] = set()

    def open(self, tenant_id: str, coalesce: bool = False) -> Inbox:
        inbox = Inbox(tenant_id, 1 if coalesce else self.capacity, coalesce, self._remove)
        self._by_tenant.setdefault(tenant_id, set()).add(inbox)
        return inbox

    def _remove(self, inbox: Inbox) -> None:
        inboxes = self._by_tenant.get(inbox.tenant_id)
        if inboxes is not None:
            inboxes.discard(inbox)
            if not inboxes:
                del self._by_tenant[inbox.tenant_id]

    def deliver(self, event: LiveEvent) -> None:
        if event.id in self._recent_ids:
            return
        if len(self._recent) == self._recent.maxlen:
            self._recent_ids.discard(self._recent[0])
        self._recent.append(event.id)
        self._recent_ids.add(event.id)
        if event.tenant_id == ALL_TENANTS:
            for inboxes in tuple(self._by_tenant.values()):
                for inbox in tuple(inboxes):
                    if inbox.coalesce:  # numbers move; there is no booking to show
                        inbox.offer(event)
            return
        for inbox in tuple(self._by_tenant.get(event.tenant_id, ())):
            if event.moves_numbers or not inbox.coalesce:  # an alert firing alone recomputes nothing
                inbox.offer(event)

    def resync_all(self) -> None:
        for inboxes in self._by_tenant.values():
            for inbox in inboxes:
                inbox.resync()

    def count(self) -> int:
        return sum(len(inboxes) for inboxes in self._by_tenant.values())
