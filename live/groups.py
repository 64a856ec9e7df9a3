"""Subscribers asking the same thing share one rendering of each event.

A group is keyed by what its subscribers asked (tenant, field, arguments, document, and what
of the credential the answer depends on). It holds one broker inbox and renders each event
once, as JSON text; each member then gets those bytes, written straight to its connection
when the connection keeps up, else queued for the member's own task. So an event costs one
GraphQL execution per group, not per subscriber, and a slow consumer still stalls nobody.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence

from live.broker import Broker
from live.coalesce import pushes
from live.inbox import Inbox, Item, Overflowed
from live.outlet import Outlet
from telemetry.metrics import LIVE_FANOUT_SECONDS, LIVE_RENDER_SECONDS

log = logging.getLogger("gateway.live")

# the payloads (JSON texts) one event becomes for this group; None: a liveMetrics push
Render = Callable[[Item | None], Awaitable[Sequence[str]]]


class Ended(Exception):
    """The member's connection failed while the group wrote to it."""


class Member:
    """One subscriber of a group: `run()` is its own task's loop until it is ended."""

    __slots__ = ("group", "outlet", "joined", "capacity", "coalesce", "on_push", "ready", "_queue", "_wake",
                 "_error", "_busy")

    def __init__(self, group: Group, outlet: Outlet, joined: int, on_push: Callable[[], None] | None) -> None:
        self.group = group
        self.outlet = outlet
        self.joined = joined  # events the group's inbox had received before this member joined
        self.capacity = group.capacity
        self.coalesce = group.interval is not None
        self.on_push = on_push
        self.ready = False  # until the subscriber's first result went out (liveMetrics: its snapshot)
        self._queue: deque[bytes] = deque()
        self._wake = asyncio.Event()
        self._error: BaseException | None = None
        self._busy = False

    def push(self, payload: bytes) -> None:
        """Synchronous: a group fans one event out to thousands of members, and a write straight
        to a connection that keeps up needs no task switch."""
        if self._error is not None:
            return
        if self.ready and not self._queue and not self._busy:
            try:
                written = self.outlet.write_now(payload)
            except Exception as error:  # noqa: BLE001 - a closed connection ends this member only
                self.fail(Ended(str(error)))
                return
            if written:
                self._sent()
                return
        if self.coalesce:
            self._queue.clear()  # only the newest numbers matter
        elif len(self._queue) >= self.capacity:
            self.fail(Overflowed(self.capacity))
            return
        self._queue.append(payload)
        self._wake.set()

    def fail(self, error: BaseException) -> None:
        """Ends the member: its `run()` raises `error`. Idempotent."""
        if self._error is None:
            self._error = error
            self._queue.clear()
            self.group.leave(self)
            self._wake.set()

    async def run(self) -> None:
        """Sends what waits, in order, until the member is ended (then raises why)."""
        self.ready = True
        while True:
            if self._error is not None:
                raise self._error
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            self._busy = True
            try:
                await self.outlet.send(self._queue.popleft())
            finally:
                self._busy = False
            self._sent()

    def close(self) -> None:
        self._error = self._error or Ended("closed")
        self.group.leave(self)

    def _sent(self) -> None:
        if self.on_push is not None:
            self.on_push()


class Group:
    def __init__(self, groups: Groups, key: Hashable, inbox: Inbox, render: Render, interval: float | None) -> None:
        self.groups = groups
        self.key = key
        self.inbox = inbox
        self.render = render
        self.interval = interval  # liveMetrics: coalesced pushes at most this often; None: every event
        self.capacity = groups.capacity
        self.members: dict[Member, int] = {}
        self.taken = 0
        self.task = asyncio.create_task(self._run(), name="live-group")

    def join(self, outlet: Outlet, on_push: Callable[[], None] | None) -> Member:
        member = Member(self, outlet, self.inbox.received, on_push)
        self.members[member] = member.joined
        return member

    def leave(self, member: Member) -> None:
        if self.members.pop(member, None) is not None and not self.members:
            self.groups.drop(self)

    async def _run(self) -> None:
        try:
            if self.interval is None:
                await self._events()
            else:
                await self._pushes(self.interval)
        except asyncio.CancelledError:
            raise
        except Overflowed as error:  # the group itself fell behind: its members end alike
            self._fail_all(error)
        except Exception as error:  # noqa: BLE001 - logged once here, each member ends with it
            log.exception("live group failed")
            self._fail_all(error)

    async def _events(self) -> None:
        async for item in self.inbox:
            self.taken += 1
            # only members that joined before this event arrived get it: nothing from before a start
            targets = [member for member, joined in self.members.items() if joined < self.taken]
            if targets:
                await self._fan_out(targets, await self._render(item))

    async def _pushes(self, interval: float) -> None:
        async for _ in pushes(self.inbox, interval):
            targets = list(self.members)
            if targets:
                await self._fan_out(targets, await self._render(None))

    async def _render(self, item: Item | None) -> Sequence[str]:
        started = time.perf_counter()
        payloads = await self.render(item)
        LIVE_RENDER_SECONDS.observe(time.perf_counter() - started)
        return payloads

    @staticmethod
    async def _fan_out(targets: list[Member], payloads: Sequence[str]) -> None:
        for text in payloads:
            started = time.perf_counter()
            payload = text.encode()  # once for all members
            for member in targets:
                member.push(payload)
            LIVE_FANOUT_SECONDS.observe(time.perf_counter() - started)

    def _fail_all(self, error: BaseException) -> None:
        for member in list(self.members):
            member.fail(error)

    def close(self) -> None:
        self.task.cancel()
        self.inbox.close()


class Groups:
    """The groups of this replica, by key."""

    def __init__(self, broker: Broker, capacity: int) -> None:
        self.broker = broker
        self.capacity = capacity
        self._groups: dict[Hashable, Group] = {}

    def join(
        self, key: Hashable, tenant_id: str, render: Render, outlet: Outlet, interval: float | None = None,
        on_push: Callable[[], None] | None = None,
    ) -> Member:
        """`interval` set: liveMetrics pushes (coalesced); None: one push per rendered event."""
        group = self._groups.get(key)
        if group is None:
            inbox = self.broker.subscribe(tenant_id, coalesce=interval is not None)
            group = self._groups[key] = Group(self, key, inbox, render, interval)
        return group.join(outlet, on_push)

    def drop(self, group: Group) -> None:
        if self._groups.get(group.key) is group:
            del self._groups[group.key]
        group.close()

    def close(self) -> None:
        """At shutdown: no group task outlives the app."""
        for group in list(self._groups.values()):
            group.close()
        self._groups.clear()

    def count(self) -> int:
        """Subscribers (members) on this replica."""
        return sum(len(group.members) for group in self._groups.values())

    def group_count(self) -> int:
        return len(self._groups)
