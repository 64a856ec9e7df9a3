"""Subscriptions over WebSocket with a real client (gql), on real ports."""

from __future__ import annotations

import pytest

from tests.live_support import (
    BOOKING_EVENTS,
    PROTOCOLS,
    TENANT,
    Collector,
    bearer,
    booking,
    publish,
    request,
    session,
    settings,
    start,
    subscribed,
)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_booking_events_in_process(aiohttp_server, sqlite_demo_url: str, protocol: str) -> None:  # type: ignore[no-untyped-def]
    server = await start(aiohttp_server, settings(sqlite_demo_url))
    async with session(server, bearer(), protocol) as client:
        events = Collector(client, request(BOOKING_EVENTS, t=TENANT))
        await subscribed(server)
        await publish(server, TENANT, booking("LIVE-1"), booking("LIVE-2", status="cancelled"))
        items = await events.wait_for(2)
        await events.stop()
    assert [item["bookingEvents"]["bookingRef"] for item in items] == ["LIVE-1", "LIVE-2"]
    assert items[1]["bookingEvents"]["status"] == "CANCELLED"
    assert items[0]["bookingEvents"]["amount"] == {"amount": "100.00", "currency": "CHF"}
