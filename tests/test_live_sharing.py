"""One rendering per group of subscribers asking the same; pushes charged to the budget."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from gql.transport.exceptions import TransportQueryError

from gateway import appkeys
from tests.live_support import (
    BOOKING_EVENTS,
    LIVE_METRICS,
    OTHER,
    PROTOCOLS,
    TENANT,
    Collector,
    bearer,
    booking,
    copy_store,
    publish,
    query,
    request,
    session,
    settings,
    start,
    subscribed,
    today_range,
)

REFS = "subscription($t: ID) { bookingEvents(tenantId: $t) { bookingRef } }"
BUDGET = "{ viewer { rateLimit { remaining } } }"


async def test_subscribers_asking_the_same_share_a_group_and_each_gets_its_own_selection(aiohttp_server, sqlite_demo_url: str) -> None:  # type: ignore[no-untyped-def]
    server = await start(aiohttp_server, settings(sqlite_demo_url))
    groups = server.app[appkeys.LIVE].groups
    alice, bob = bearer(sub="alice"), bearer(sub="bob")
    both = bearer([TENANT, OTHER], sub="carol")
    async with (session(server, alice, PROTOCOLS[0]) as one, session(server, bob, PROTOCOLS[1]) as two,
                session(server, both) as three):
        short_a = Collector(one, request(REFS, t=TENANT))
        short_b = Collector(two, request(REFS, t=TENANT))  # same document, other protocol, other user
        full = Collector(three, request(BOOKING_EVENTS, t=TENANT))
        other = Collector(three, request(REFS, t=OTHER))
        await subscribed(server, 4)
        # the two short ones share one rendering; the full selection and the other tenant do not
        assert groups.group_count() == 3
        await publish(server, TENANT, booking("G-1"), booking("G-2", amount="10.00"))
        await publish(server, OTHER, booking("G-OTHER", currency="EUR"))
        assert [item["bookingEvents"] for item in await short_a.wait_for(2)] == [{"bookingRef": "G-1"}, {"bookingRef": "G-2"}]
        assert [item["bookingEvents"] for item in await short_b.wait_for(2)] == [{"bookingRef": "G-1"}, {"bookingRef": "G-2"}]
        rich = [item["bookingEvents"] for item in await full.wait_for(2)]
        assert [item["bookingRef"] for item in rich] == ["G-1", "G-2"]
        assert rich[1]["amount"] == {"amount": "10.00", "currency": "CHF"} and rich[1]["tenantId"] == TENANT
        assert [item["bookingEvents"] for item in await other.wait_for(1)] == [{"bookingRef": "G-OTHER"}]
        await asyncio.sleep(0.2)
        assert len(short_a.items) == len(short_b.items) == len(full.items) == 2 and len(other.items) == 1
        await short_b.stop()
        await _until(lambda: groups.count() == 3)
        # a member leaving keeps the group for the others; a newcomer joins it from now on
        late = Collector(two, request(REFS, t=TENANT))
        await subscribed(server, 4)
        await publish(server, TENANT, booking("G-3"))
        assert [item["bookingEvents"]["bookingRef"] for item in await late.wait_for(1)] == ["G-3"]
        assert [item["bookingEvents"]["bookingRef"] for item in await short_a.wait_for(3)] == ["G-1", "G-2", "G-3"]
        for collector in (short_a, late, full, other):
            await collector.stop()
    await _until(lambda: groups.count() == 0 and groups.group_count() == 0)
    assert server.app[appkeys.LIVE].broker.fanout.count() == 0


async def test_live_metrics_shared_by_a_group_equal_the_query(aiohttp_server, sqlite_demo_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.live_support import record

    server = await start(aiohttp_server, settings(copy_store(sqlite_demo_url, tmp_path), live_push_interval_seconds=0.2))
    days = today_range()
    metrics = "query($t: ID, $r: DateRange!) { tenant(id: $t) { metrics(range: $r) { bookings revenue { amount currency } } } }"
    async with session(server, bearer(sub="a")) as one, session(server, bearer(sub="b"), PROTOCOLS[1]) as two:
        first = Collector(one, request(LIVE_METRICS, t=TENANT, r=days))
        second = Collector(two, request(LIVE_METRICS, t=TENANT, r=days))
        await first.wait_for(1)
        await second.wait_for(1)
        assert server.app[appkeys.LIVE].groups.group_count() == 1
        await record(server, TENANT, booking("GM-1", amount="321.00"))
        pushed = [(await collector.wait_for(2))[1]["liveMetrics"] for collector in (first, second)]
        await first.stop()
        await second.stop()
    expected = (await query(server, metrics, bearer(), t=TENANT, r=days))["tenant"]["metrics"]
    assert pushed == [expected, expected]


async def test_each_push_is_charged_at_the_subscription_cost(aiohttp_server, sqlite_demo_url: str) -> None:  # type: ignore[no-untyped-def]
    server = await start(aiohttp_server, settings(sqlite_demo_url))
    live = server.app[appkeys.LIVE]
    headers = bearer(sub="payer")
    before = (await query(server, BUDGET, headers))["viewer"]["rateLimit"]["remaining"]
    async with session(server, headers) as client:
        events = Collector(client, request(BOOKING_EVENTS, t=TENANT))  # costs 2: the field 1, Money 1
        await subscribed(server)
        await publish(server, TENANT, booking("C-1"), booking("C-2"))
        await publish(server, TENANT, booking("C-3"))
        await events.wait_for(3)
        await live.meter.flush()
        after = (await query(server, BUDGET, headers))["viewer"]["rateLimit"]["remaining"]
        await events.stop()
    assert before - after == 2 + 3 * 2  # the start, then three pushes


async def test_pushes_past_the_budget_end_the_subscription_with_rate_limited(aiohttp_server, sqlite_demo_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tiers = tmp_path / "tiers.toml"
    tiers.write_text("[PROFESSIONAL]\npoints_per_minute = 5\n")
    server = await start(aiohttp_server, settings(sqlite_demo_url, tiers_file=tiers))
    live = server.app[appkeys.LIVE]
    async with session(server, bearer(sub="frugal")) as client:
        events = Collector(client, request(REFS, t=TENANT))  # costs 1 to start, 1 per push
        await subscribed(server)
        for number in range(6):  # 6 pushes after a start of 1: over the 5 points
            await publish(server, TENANT, booking(f"R-{number}"))
        await events.wait_for(6)
        await live.meter.flush()
        await asyncio.wait_for(events.task, timeout=5)
    assert isinstance(events.error, TransportQueryError)
    assert events.error.errors[0]["extensions"]["code"] == "RATE_LIMITED"
    await _until(lambda: live.groups.count() == 0 and not live.slots.held)


async def _until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_render_error_reaches_the_members_masked(aiohttp_server, sqlite_demo_url: str, protocol: str) -> None:  # type: ignore[no-untyped-def]
    """A booking in a currency without rates fails to convert: each member gets a masked error."""
    server = await start(aiohttp_server, settings(sqlite_demo_url))
    async with session(server, bearer(), protocol) as client:
        events = Collector(client, request(BOOKING_EVENTS, t=TENANT))
        await subscribed(server)
        await publish(server, TENANT, booking("BAD", currency="XXX"))
        await asyncio.wait_for(events.task, timeout=5)
    assert isinstance(events.error, TransportQueryError)
    assert events.error.errors[0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
