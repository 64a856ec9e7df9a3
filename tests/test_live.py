"""Subscriptions over WebSocket with a real client (gql, both subprotocols), on real ports."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from gql.transport.exceptions import TransportConnectionFailed, TransportQueryError, TransportServerError

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
    store_booking,
    subscribed,
    today_range,
    ws_url,
)

METRICS = "query($t: ID, $r: DateRange!) { tenant(id: $t) { metrics(range: $r) { bookings revenue { amount currency } } } }"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_booking_events_of_the_tenant_from_now_on(aiohttp_server, sqlite_demo_url: str, protocol: str) -> None:  # type: ignore[no-untyped-def]
    server = await start(aiohttp_server, settings(sqlite_demo_url))
    await publish(server, TENANT, booking("BEFORE"))  # before anyone listens: never delivered
    async with session(server, bearer(), protocol) as client:
        events = Collector(client, request(BOOKING_EVENTS, t=TENANT))
        await subscribed(server)
        await publish(server, OTHER, booking("OTHER-TENANT"))
        await publish(server, TENANT, booking("LIVE-1"), booking("LIVE-2", status="cancelled"))
        await publish(server, TENANT, booking("LIVE-3", amount="50.00", currency="EUR"))
        items = [item["bookingEvents"] for item in await events.wait_for(3)]
        await asyncio.sleep(0.2)  # nothing else arrives
        await events.stop()
    assert [item["bookingEvents"]["bookingRef"] for item in events.items] == ["LIVE-1", "LIVE-2", "LIVE-3"]
    assert {item["tenantId"] for item in items} == {TENANT}
    assert items[1]["status"] == "CANCELLED"
    assert items[0]["amount"] == {"amount": "100.00", "currency": "CHF"}
    # EUR converted to the tenant's CHF at the day's rate, never passed through unconverted
    assert items[2]["amount"]["currency"] == "CHF" and items[2]["amount"]["amount"] != "50.00"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_live_metrics_equal_the_query_after_each_write(aiohttp_server, sqlite_demo_url: str, tmp_path: Path, protocol: str) -> None:  # type: ignore[no-untyped-def]
    server = await start(aiohttp_server, settings(copy_store(sqlite_demo_url, tmp_path), live_push_interval_seconds=0.2))
    headers, days = bearer(), today_range()
    async with session(server, headers, protocol) as client:
        pushes = Collector(client, request(LIVE_METRICS, t=TENANT, r=days))
        first = (await pushes.wait_for(1))[0]["liveMetrics"]
        assert first == (await query(server, METRICS, headers, t=TENANT, r=days))["tenant"]["metrics"]
        change = booking("LIVE-M1", amount="250.00")
        await store_booking(server, TENANT, change)
        await publish(server, TENANT, change)
        second = (await pushes.wait_for(2))[1]["liveMetrics"]
        await pushes.stop()
    assert second == (await query(server, METRICS, headers, t=TENANT, r=days))["tenant"]["metrics"]
    assert second["bookings"] == first["bookings"] + 1


async def test_live_metrics_pushes_are_coalesced(aiohttp_server, sqlite_demo_url: str) -> None:  # type: ignore[no-untyped-def]
    interval = 0.5
    server = await start(aiohttp_server, settings(sqlite_demo_url, live_push_interval_seconds=interval))
    async with session(server, bearer()) as client:
        pushes = Collector(client, request(LIVE_METRICS, t=TENANT, r=today_range()))
        await pushes.wait_for(1)
        started = time.monotonic()
        for number in range(20):
            await publish(server, TENANT, booking(f"BURST-{number}"))
        await pushes.wait_for(2)
        waited = time.monotonic() - started
        await asyncio.sleep(3 * interval)
        await pushes.stop()
    # a burst right after the snapshot: one push, once the interval since the snapshot is over
    assert len(pushes.items) == 2
    assert waited >= interval * 0.8


@pytest.mark.parametrize("payload", [{}, {"Authorization": "Bearer not-a-token"}, {"X-API-Key": "agw_nope_nope"},
                                     {"Authorization": 42}])
async def test_connection_without_valid_credentials_is_closed_with_4403(aiohttp_server, sqlite_demo_url: str, payload: dict) -> None:  # type: ignore[no-untyped-def]
    server = await start(aiohttp_server, settings(sqlite_demo_url))
    with pytest.raises(TransportConnectionFailed) as failure:
        async with session(server, payload, PROTOCOLS[0]):
            pass
    assert failure.value.__cause__.rcvd.code == 4403
    # the legacy protocol gets connection_error with the reason, then the same close code
    with pytest.raises(TransportServerError, match="UNAUTHENTICATED"):
        async with session(server, payload, PROTOCOLS[1]):
            pass
    assert await _legacy_close_code(server, payload) == 4403


async def _legacy_close_code(server, payload: dict) -> int:  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url(server), protocols=["graphql-ws"]) as ws:
        await ws.send_json({"type": "connection_init", "payload": payload})
        assert (await ws.receive_json())["type"] == "connection_error"
        await ws.receive()
        return ws.close_code


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_tier_gate_and_tenant_scope_are_error_messages(aiohttp_server, sqlite_demo_url: str, protocol: str) -> None:  # type: ignore[no-untyped-def]
    server = await start(aiohttp_server, settings(sqlite_demo_url))
    async with session(server, bearer(tier="FREE"), protocol) as client:
        with pytest.raises(TransportQueryError) as refused:
            async for _ in client.subscribe(request(BOOKING_EVENTS, t=TENANT)):
                pass
    assert refused.value.errors[0]["extensions"] == {"code": "FORBIDDEN", "requiredTier": "PROFESSIONAL"}
    async with session(server, bearer([TENANT]), protocol) as client:
        for document, variables in ((BOOKING_EVENTS, {"t": OTHER}), (LIVE_METRICS, {"t": OTHER, "r": today_range()})):
            with pytest.raises(TransportQueryError) as refused:
                async for _ in client.subscribe(request(document, **variables)):
                    pass
            assert refused.value.errors[0]["extensions"]["code"] == "FORBIDDEN"
        with pytest.raises(TransportQueryError) as refused:  # a past range is not live
            async for _ in client.subscribe(request(LIVE_METRICS, t=TENANT, r={"from": "2026-01-01", "to": "2026-01-31"})):
                pass
        assert refused.value.errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "range"}
    assert server.app[appkeys.LIVE].slots.local == {}  # refused subscriptions hold no slot


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_expiring_token_closes_its_subscriptions(aiohttp_server, sqlite_demo_url: str, protocol: str) -> None:  # type: ignore[no-untyped-def]
    server = await start(aiohttp_server, settings(sqlite_demo_url))
    expires = int(time.time()) + 2
    async with session(server, bearer(exp=expires), protocol) as client:
        events = Collector(client, request(BOOKING_EVENTS, t=TENANT))
        await subscribed(server)
        await publish(server, TENANT, booking("BEFORE-EXPIRY"))
        await events.wait_for(1)
        await asyncio.wait_for(events.task, timeout=5)
    assert time.time() >= expires - 0.05
    assert events.error is not None  # the stream ended with the connection, not by itself
    live = server.app[appkeys.LIVE]
    await _until(lambda: live.broker.fanout.count() == 0 and not live.slots.held)


async def _until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
