"""Open subscriptions end when their credential stops verifying: a revoked key, on every replica."""

from __future__ import annotations

import asyncio
from pathlib import Path

from auth.api_keys import create_key, prefix_of, utcnow
from core.vocabulary import Tier
from gateway import appkeys
from loaders.api_key_store import revoke_key
from tests.live_support import (
    BOOKING_EVENTS,
    LIVE_METRICS,
    PROTOCOLS,
    TENANT,
    Collector,
    bearer,
    booking,
    copy_store,
    publish,
    request,
    session,
    settings,
    start,
    subscribed,
    today_range,
)


def _close_code(error: BaseException | None) -> int | None:
    while error is not None:
        received = getattr(error, "rcvd", None)
        if received is not None:
            return received.code
        error = error.__cause__ or error.__context__
    return None


async def test_revoking_a_key_closes_its_subscriptions_on_every_replica(aiohttp_server, sqlite_demo_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = copy_store(sqlite_demo_url, tmp_path)
    shared = {"live_recheck_seconds": 0.2, "prefix": "revoke-test:"}
    a = await start(aiohttp_server, settings(store, **shared))
    b = await start(aiohttp_server, settings(store, **shared))
    engine = a.app[appkeys.DATA].engine
    key, _ = await create_key(engine, name="front-desk", tier=Tier.PROFESSIONAL, tenant_ids=[TENANT])
    kept, _ = await create_key(engine, name="sales", tier=Tier.PROFESSIONAL, tenant_ids=[TENANT])
    async with (session(a, {"X-API-Key": key}, PROTOCOLS[0]) as on_a, session(b, {"X-API-Key": key}, PROTOCOLS[1]) as on_b,
                session(a, {"X-API-Key": kept}) as other, session(b, bearer()) as token):
        doomed = [Collector(on_a, request(BOOKING_EVENTS, t=TENANT)),
                  Collector(on_b, request(LIVE_METRICS, t=TENANT, r=today_range()))]
        survivors = [Collector(other, request(BOOKING_EVENTS, t=TENANT)), Collector(token, request(BOOKING_EVENTS, t=TENANT))]
        await subscribed(a, 2)
        await subscribed(b, 2)
        await doomed[1].wait_for(1)
        # a recheck of a still valid key changes nothing
        await asyncio.sleep(0.5)
        assert all(not collector.task.done() for collector in doomed + survivors)
        assert await revoke_key(engine, prefix_of(key), utcnow())  # as `keys revoke` does, from anywhere
        for collector in doomed:
            await asyncio.wait_for(collector.task, timeout=5)
            assert _close_code(collector.error) == 4403
        await publish(a, TENANT, booking("AFTER-REVOKE"))
        await publish(b, TENANT, booking("AFTER-REVOKE-B"))
        assert [item["bookingEvents"]["bookingRef"] for item in await survivors[0].wait_for(1)] == ["AFTER-REVOKE"]
        assert [item["bookingEvents"]["bookingRef"] for item in await survivors[1].wait_for(1)] == ["AFTER-REVOKE-B"]
        for collector in survivors:
            await collector.stop()
    assert a.app[appkeys.CREDENTIAL_WATCH].closed == 1 and b.app[appkeys.CREDENTIAL_WATCH].closed == 1
