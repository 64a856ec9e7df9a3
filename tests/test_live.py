"""Subscriptions over WebSocket with a real client (gql, both subprotocols), on real ports."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from gql.transport.exceptions import TransportConnectionFailed, TransportQueryError, TransportServerError

from gateway import appkeys
from live.events import BookingChange
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
    record,
    request,
    session,
    settings,
    start,
    subscribed,
    today_range,
    ws_url,
)

METRICS = "query($t: ID, $r: DateRange!) { tenant(id: $t) { metrics(range: $r) { bookings revenue { amount currency } } } }"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_booking_events_of_the_tenant_from_now_on(aiohttp_server, sqlite_demo_url: str, tmp_path: Path, protocol: str) -> None:  # type: ignore[no-untyped-def]
    server = await start(aiohttp_server, settings(copy_store(sqlite_demo_url, tmp_path)))
    first = booking("LIVE-1")
    await record(server, TENANT, booking("BEFORE"))  # before anyone listens: never delivered
    async with session(server, bearer(), protocol) as client:
        events = Collector(client, request(BOOKING_EVENTS, t=TENANT))
        await subscribed(server)
        await record(server, OTHER, booking("OTHER-TENANT"))
        assert (await record(server, TENANT, first, booking("LIVE-2", status="cancelled")))["inserted"] == 2
        await record(server, TENANT, booking("LIVE-3", amount="50.00", currency="EUR"))
        assert (await record(server, TENANT, first))["duplicates"] == 1  # a replay changes nothing: no event
        cancelled = BookingChange(**{**first.__dict__, "status": "cancelled"})
        assert (await record(server, TENANT, cancelled))["updated"] == 1  # a change is an event
        items = [item["bookingEvents"] for item in await events.wait_for(4)]
        await asyncio.sleep(0.2)  # nothing else arrives
        await events.stop()
    assert [item["bookingEvents"]["bookingRef"] for item in events.items] == ["LIVE-1", "LIVE-2", "LIVE-3", "LIVE-1"]
    assert {item["tenantId"] for item in items} == {TENANT}
    assert [item["status"] for item in items] == ["CONFIRMED", "CANCELLED", "CONFIRMED", "CANCELLED"]
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
        await record(server, TENANT, booking("LIVE-M1", amount="250.00"))
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
    assert _close_code(events.error) == 4403  # the stream ended with the connection, not by itself
    live = server.app[appkeys.LIVE]
    await _until(lambda: live.groups.count() == 0 and live.broker.fanout.count() == 0 and not live.slots.held)


def _close_code(error: BaseException | None) -> int | None:
    while error is not None:
        received = getattr(error, "rcvd", None)
        if received is not None:
            return received.code
        error = error.__cause__ or error.__context__
    return None


async def _until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


# --- across replicas, through one real Redis ---------------------------------------------------


@pytest.fixture
async def replicas(aiohttp_server, sqlite_demo_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Two app instances sharing one Redis and a random channel prefix."""
    from tests.services import redis_url

    tiers = tmp_path / "tiers.toml"
    tiers.write_text("[PROFESSIONAL]\nmax_subscriptions = 2\n")
    shared = {"redis_url": redis_url(), "prefix": f"test-{time.monotonic_ns()}:", "tiers_file": tiers}
    store = copy_store(sqlite_demo_url, tmp_path)
    a = await start(aiohttp_server, settings(store, live_push_interval_seconds=0.2, **shared))
    b = await start(aiohttp_server, settings(store, live_push_interval_seconds=0.2, **shared))
    return a, b


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_published_on_a_received_on_b_once(replicas, protocol: str) -> None:  # type: ignore[no-untyped-def]
    a, b = replicas
    async with session(b, bearer(), protocol) as on_b, session(a, bearer(), protocol) as on_a:
        far = Collector(on_b, request(BOOKING_EVENTS, t=TENANT))
        near = Collector(on_a, request(BOOKING_EVENTS, t=TENANT))
        await subscribed(b)
        await subscribed(a)
        await record(a, OTHER, booking("OTHER-TENANT"))
        for number in range(5):
            await record(a, TENANT, booking(f"AB-{number}"))
        await far.wait_for(5)
        await near.wait_for(5)
        await asyncio.sleep(0.3)
        await far.stop()
        await near.stop()
    expected = [f"AB-{number}" for number in range(5)]
    assert [item["bookingEvents"]["bookingRef"] for item in far.items] == expected
    assert [item["bookingEvents"]["bookingRef"] for item in near.items] == expected


async def test_live_metrics_on_b_follow_a_write_on_a(replicas) -> None:  # type: ignore[no-untyped-def]
    a, b = replicas
    headers, days = bearer(), today_range()
    async with session(b, headers) as client:
        pushes = Collector(client, request(LIVE_METRICS, t=TENANT, r=days))
        first = (await pushes.wait_for(1))[0]["liveMetrics"]
        await record(a, TENANT, booking("AB-METRIC", amount="99.90"))
        second = (await pushes.wait_for(2))[1]["liveMetrics"]
        await pushes.stop()
    assert second["bookings"] == first["bookings"] + 1
    assert second == (await query(a, METRICS, headers, t=TENANT, r=days))["tenant"]["metrics"]


async def test_concurrent_subscriptions_are_limited_across_replicas(replicas) -> None:  # type: ignore[no-untyped-def]
    a, b = replicas
    headers = bearer()  # one principal; PROFESSIONAL may hold 2 here
    async with session(a, headers) as on_a, session(b, headers) as on_b:
        first = Collector(on_a, request(BOOKING_EVENTS, t=TENANT))
        second = Collector(on_b, request(BOOKING_EVENTS, t=TENANT))
        await subscribed(a)
        await subscribed(b)
        with pytest.raises(TransportQueryError) as refused:
            async for _ in on_a.subscribe(request(BOOKING_EVENTS, t=TENANT)):
                pass
        assert refused.value.errors[0]["extensions"] == {"code": "RATE_LIMITED", "maxSubscriptions": 2}
        await second.stop()  # ending one frees its slot on every replica
        await _until(lambda: not b.app[appkeys.LIVE].slots.held)
        third = Collector(on_a, request(BOOKING_EVENTS, t=TENANT))
        await subscribed(a, 2)
        await publish(b, TENANT, booking("AFTER-LIMIT"))
        assert (await third.wait_for(1))[0]["bookingEvents"]["bookingRef"] == "AFTER-LIMIT"
        await first.stop()
        await third.stop()


async def test_streams_resume_after_the_redis_connection_is_killed(replicas) -> None:  # type: ignore[no-untyped-def]
    import redis.asyncio as redis

    a, b = replicas
    broker = b.app[appkeys.LIVE].broker
    async with session(b, bearer()) as client:
        events = Collector(client, request(BOOKING_EVENTS, t=TENANT))
        pushes = Collector(client, request(LIVE_METRICS, t=TENANT, r=today_range()))
        await subscribed(b, 2)
        await pushes.wait_for(1)
        await publish(a, TENANT, booking("BEFORE-KILL"))
        await events.wait_for(1)
        await pushes.wait_for(2)
        admin = redis.Redis.from_url(b.app[appkeys.SETTINGS].redis_url)
        try:
            killed = 0
            for client_info in await admin.client_list():
                if client_info["name"] == broker.client_name:
                    killed += await admin.client_kill_filter(_id=client_info["id"])
            # written while B's listener is away (it waits at least 50 ms before reconnecting)
            await publish(a, TENANT, booking("DURING-KILL"))
        finally:
            await admin.aclose()
        assert killed == 1
        await _until(lambda: broker.reconnects == 1 and broker.connected.is_set())
        await publish(a, TENANT, booking("AFTER-KILL"))
        refs = [item["bookingEvents"]["bookingRef"] for item in await events.wait_for(3)]
        await pushes.wait_for(3)  # the events read on after the gap move the numbers too
        await asyncio.sleep(0.3)
        await events.stop()
        await pushes.stop()
    assert refs == ["BEFORE-KILL", "DURING-KILL", "AFTER-KILL"]
    assert len(events.items) == 3  # read on from the last id: nothing twice


# --- slow consumers, cost ---------------------------------------------------------------------


def _frame(text: str) -> bytes:
    """A masked client text frame (RFC 6455), for a client too simple to read anything."""
    import os
    import struct

    payload, mask = text.encode(), os.urandom(4)
    size = len(payload)
    header = bytes([0x81]) + (bytes([0x80 | size]) if size < 126 else bytes([0x80 | 126]) + struct.pack("!H", size))
    return header + mask + bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))


async def _stalled_subscriber(server) -> object:  # type: ignore[no-untyped-def]
    """Handshakes, subscribes and then never reads: its tiny receive buffer is full at once."""
    import base64
    import json
    import os
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    await loop.sock_sendall(
        sock,
        f"GET /graphql HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n".encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += await loop.sock_recv(sock, 1)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    subscribe = {"query": BOOKING_EVENTS, "variables": {"t": TENANT}}
    await loop.sock_sendall(sock, _frame(json.dumps({"type": "connection_init", "payload": bearer()})))
    await loop.sock_sendall(sock, _frame(json.dumps({"type": "subscribe", "id": "slow", "payload": subscribe})))
    return sock


async def test_a_slow_consumer_does_not_stall_the_others(aiohttp_server, sqlite_demo_url: str) -> None:  # type: ignore[no-untyped-def]
    rounds, events, bookings = 8, 10, 5
    bulky = "x" * 8_000  # big messages fill the stalled socket's buffers soon
    server = await start(aiohttp_server, settings(sqlite_demo_url, live_queue_size=events * 2))
    sock = await _stalled_subscriber(server)
    groups = server.app[appkeys.LIVE].groups
    async with session(server, bearer()) as client:
        fast = Collector(client, request(BOOKING_EVENTS, t=TENANT))
        await subscribed(server, 2)
        for number in range(rounds):
            for event in range(events):
                await publish(server, TENANT, *(booking(f"S-{number}-{event}-{i}", channel=bulky) for i in range(bookings)))
            # the fast one gets each round while the stalled one's socket is full
            await fast.wait_for((number + 1) * events * bookings, timeout=20)
        # the stalled one overflowed its inbox and was ended; the fast one got everything, in order
        await _until(lambda: groups.count() == 1)
        await fast.stop()
    refs = [item["bookingEvents"]["bookingRef"] for item in fast.items]
    assert refs == [f"S-{n}-{e}-{i}" for n in range(rounds) for e in range(events) for i in range(bookings)]
    sock.close()


async def test_a_subscription_is_costed_and_charged(aiohttp_server, sqlite_demo_url: str) -> None:  # type: ignore[no-untyped-def]
    server = await start(aiohttp_server, settings(sqlite_demo_url))
    headers = bearer()
    budget = "{ viewer { rateLimit { remaining } } }"
    before = (await query(server, budget, headers))["viewer"]["rateLimit"]["remaining"]
    async with session(server, headers) as client:
        result = None
        async for result in client.subscribe(request(LIVE_METRICS, t=TENANT, r=today_range()), get_execution_result=True):
            break
    cost = result.extensions["cost"]
    # liveMetrics weighs 3 like Tenant.metrics, its Money 1
    assert cost["requestedQueryCost"] == 4
    after = (await query(server, budget, headers))["viewer"]["rateLimit"]["remaining"]
    assert before - after == 4  # the viewer queries themselves are free
    assert cost["remaining"] == after


@pytest.mark.parametrize("accept", ["application/json", "multipart/mixed;subscriptionSpec=1.0, application/json"])
async def test_subscriptions_over_http_are_refused(aiohttp_client, sqlite_demo_url: str, accept: str) -> None:  # type: ignore[no-untyped-def]
    from gateway.app import create_app

    client = await aiohttp_client(create_app(settings(sqlite_demo_url)))
    response = await client.post(
        "/graphql", json={"query": BOOKING_EVENTS, "variables": {"t": TENANT}}, headers={**bearer(), "Accept": accept}
    )
    assert response.status in (400, 406)
    body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "WebSocket" in body["errors"][0]["message"]
