"""The live package on its own: inboxes, fan-out, coalescing, slots (in process and on Redis)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from live.broker import InProcessBroker
from live.coalesce import pushes
from live.events import ALL_TENANTS, RESYNC, LiveEvent
from live.inbox import Overflowed
from live.slots import SubscriptionSlots
from tests.live_support import booking
from tests.services import redis_url


async def test_events_reach_only_their_tenant_in_order_and_once() -> None:
    broker = InProcessBroker(capacity=10)
    mine, other = broker.subscribe("a"), broker.subscribe("b")
    first = LiveEvent("a", (booking("1"),))
    await broker.publish("a", first)
    await broker.publish("a", first)  # the same event again (a retried publish): dropped
    await broker.publish("a", LiveEvent("a", (booking("2"),)))
    assert [event.bookings[0].booking_ref for event in (await anext(mine), await anext(mine))] == ["1", "2"]
    assert mine.pending() == 0 and other.pending() == 0
    with pytest.raises(ValueError):
        await broker.publish("b", first)
    mine.close()
    assert broker.fanout.count() == 1


async def test_a_full_inbox_ends_its_subscriber_alone() -> None:
    broker = InProcessBroker(capacity=3)
    slow, fast = broker.subscribe("a"), broker.subscribe("a")
    for number in range(5):
        await broker.publish("a", LiveEvent("a", (booking(str(number)),)))
        await anext(fast)
    assert broker.fanout.count() == 1  # dropped from the fan-out at once
    with pytest.raises(Overflowed):
        await anext(slow)


async def test_coalescing_inboxes_keep_one_wake_up_and_hear_everyone_events() -> None:
    broker = InProcessBroker()
    metrics, events = broker.subscribe("a", coalesce=True), broker.subscribe("a")
    for number in range(50):
        await broker.publish("a", LiveEvent("a", (booking(str(number)),)))
    await broker.publish(ALL_TENANTS, LiveEvent(ALL_TENANTS))  # fx rates: numbers move, no booking
    assert metrics.pending() == 1 and events.pending() == 50
    metrics.resync()
    assert await anext(metrics) is RESYNC


async def test_pushes_are_at_most_one_per_interval_and_never_miss_the_last() -> None:
    broker = InProcessBroker()
    inbox = broker.subscribe("a", coalesce=True)
    clock = asyncio.get_running_loop().time
    stream = pushes(inbox, 0.3, clock)
    started = clock()
    for number in range(10):
        await broker.publish("a", LiveEvent("a"))
    await anext(stream)  # the burst right after the snapshot waits for the interval
    assert clock() - started >= 0.29
    await broker.publish("a", LiveEvent("a"))
    await asyncio.sleep(0.35)
    pushed = clock()
    await anext(stream)  # after a quiet interval: at once
    assert clock() - pushed < 0.1
    await broker.publish("a", LiveEvent("a"))
    await anext(stream)
    assert clock() - pushed >= 0.29


async def test_slots_in_process() -> None:
    slots = SubscriptionSlots()
    held = [await slots.acquire("p", 2), await slots.acquire("p", 2)]
    assert None not in held and await slots.acquire("p", 2) is None
    assert await slots.acquire("q", 2) is not None  # per principal
    await slots.release(held[0])
    assert await slots.acquire("p", 2) is not None


@pytest.mark.redis
async def test_slots_are_shared_on_redis_and_expire_with_their_replica() -> None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(redis_url())
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    one, two = SubscriptionSlots(client, prefix, lease_seconds=1.0), SubscriptionSlots(client, prefix, lease_seconds=1.0)
    try:
        first = await one.acquire("p", 2)
        assert first is not None and await two.acquire("p", 2) is not None
        assert await one.acquire("p", 2) is None
        await one.renew()  # a live replica keeps its leases
        await asyncio.sleep(0.6)
        await one.renew()
        await asyncio.sleep(0.6)
        # `two` never renewed (as if its replica died): its lease has expired, `one`'s has not
        assert await two.acquire("p", 2) is not None
        assert await two.acquire("p", 2) is None
        await one.release(first)
        assert await two.acquire("p", 2) is not None
    finally:
        await client.delete(f"{prefix}live-slots:p")
        await client.aclose()


# --- groups: one rendering for all members ------------------------------------------------------


class _Outlet:
    """An operation's outlet kept in memory: what a member was sent, and whether it keeps up."""

    query, variables, operation_name = "subscription { x }", None, None

    def __init__(self, keeps_up: bool = True) -> None:
        self.keeps_up = keeps_up
        self.sent: list[bytes] = []

    def write_now(self, payload: bytes) -> bool:
        if self.keeps_up:
            self.sent.append(payload)
        return self.keeps_up

    async def send(self, payload: bytes) -> None:
        self.sent.append(payload)


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_member_gets_only_events_that_arrived_after_it_joined() -> None:
    from live.groups import Groups

    broker = InProcessBroker()
    groups = Groups(broker, capacity=10)
    rendering, renders = asyncio.Event(), []

    async def render(item):  # type: ignore[no-untyped-def]
        renders.append(item)
        await rendering.wait()  # slow: a member joins while the first event renders
        return [item.bookings[0].booking_ref] if isinstance(item, LiveEvent) else []

    early, late = _Outlet(), _Outlet()
    first = groups.join("key", "a", render, early)
    runs = [asyncio.create_task(first.run())]
    await broker.publish("a", LiveEvent("a", (booking("1"),)))
    await _settle()  # the group took event 1 and renders it
    second = groups.join("key", "a", render, late)
    runs.append(asyncio.create_task(second.run()))
    await broker.publish("a", LiveEvent("a", (booking("2"),)))
    rendering.set()
    await _settle()
    assert early.sent == [b"1", b"2"] and late.sent == [b"2"]
    assert len(renders) == 2 and groups.group_count() == 1 and broker.fanout.count() == 1
    first.close()
    second.close()
    assert groups.count() == 0 and groups.group_count() == 0 and broker.fanout.count() == 0
    for run in runs:
        run.cancel()
    await asyncio.gather(*runs, return_exceptions=True)


async def test_a_member_that_does_not_keep_up_queues_then_overflows_alone() -> None:
    from live.groups import Groups

    broker = InProcessBroker()
    groups = Groups(broker, capacity=3)

    async def render(item):  # type: ignore[no-untyped-def]
        return [change.booking_ref for change in item.bookings] if isinstance(item, LiveEvent) else []

    fast, slow = _Outlet(), _Outlet(keeps_up=False)
    quick, stuck = groups.join("key", "a", render, fast), groups.join("key", "a", render, slow)
    runs = [asyncio.create_task(quick.run()), asyncio.create_task(stuck.run())]
    await _settle()  # both ready: the slow one's connection is full, so its pushes queue
    await broker.publish("a", LiveEvent("a", tuple(booking(str(n)) for n in range(1, 5))))
    await _settle()
    assert fast.sent == [b"1", b"2", b"3", b"4"] and slow.sent == []
    with pytest.raises(Overflowed):  # the fourth was over its capacity of 3
        await runs[1]
    assert groups.count() == 1  # the others go on
    await broker.publish("a", LiveEvent("a", (booking("5"),)))
    await _settle()
    assert fast.sent[-1] == b"5"
    quick.close()
    runs[0].cancel()
    await asyncio.gather(*runs, return_exceptions=True)


async def test_the_stream_listener_waits_longer_than_its_blocking_read() -> None:
    """redis-py's default socket timeout (5 s) equals XREAD's block: idle replicas would
    take every quiet spell for a lost connection."""
    from live.redis_broker import IDLE_SECONDS, RedisBroker

    broker = RedisBroker(redis_url(), f"test-{uuid.uuid4().hex[:8]}:")
    try:
        assert broker.listener.connection_pool.connection_kwargs["socket_timeout"] > IDLE_SECONDS
    finally:
        await broker.close()
