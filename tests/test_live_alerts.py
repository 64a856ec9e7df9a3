"""alertFired: a rule fired by ingestion on replica A reaches its tenant's subscribers on replica B
through one real Redis (a real WebSocket client), and nobody else's."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gql.transport.exceptions import TransportQueryError

from gateway import appkeys
from tests.live_support import (
    OTHER, PROTOCOLS, TENANT, Collector, bearer, booking, copy_store, query, record, request, session, settings, start,
    subscribed,
)

ALERT_FIRED = "subscription($t: ID) { alertFired(tenantId: $t) { ruleId start value firedAt delivery } }"
CREATE = "mutation($t: ID, $rule: AlertRuleInput!) { createAlertRule(tenantId: $t, rule: $rule) { id } }"
# far above any day of the demo data, so the rule fires only on what the test ingests
THRESHOLD = 50_000_000.0
YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)


@pytest.fixture
async def replicas(aiohttp_server, sqlite_demo_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Two app instances on one store sharing one Redis; rules are judged only when data lands."""
    from tests.services import redis_url

    shared = {"redis_url": redis_url(), "prefix": f"test-{time.monotonic_ns()}:", "alert_eval_interval_seconds": 0}
    store = copy_store(sqlite_demo_url, tmp_path)
    a = await start(aiohttp_server, settings(store, **shared))
    b = await start(aiohttp_server, settings(store, **shared))
    return a, b


async def _first(client_session: Any, document: str, **variables: Any) -> Any:
    """The first result of a subscription, with its extensions (the cost)."""
    async for result in client_session.subscribe(request(document, **variables), get_execution_result=True):
        return result
    raise AssertionError("the subscription ended without a result")


async def _wait_idle(server: Any) -> None:
    await server.app[appkeys.ALERT_EVALUATIONS].idle()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_rule_fired_on_a_reaches_its_tenant_on_b(replicas, protocol: str) -> None:  # type: ignore[no-untyped-def]
    a, b = replicas
    admin = bearer([TENANT], scope="read admin ingest")
    rule = {"metric": "REVENUE", "granularity": "DAY", "condition": "ABOVE", "threshold": THRESHOLD}
    rule_id = (await query(a, CREATE, admin, t=TENANT, rule=rule))["createAlertRule"]["id"]
    await _wait_idle(a)
    async with session(b, bearer([TENANT]), protocol) as ours, session(b, bearer([OTHER]), protocol) as theirs:
        first = asyncio.create_task(_first(ours, ALERT_FIRED, t=TENANT))
        stranger = Collector(theirs, request(ALERT_FIRED, t=OTHER))
        await subscribed(b, 2)
        # another tenant's write that fires nothing, then ours, which crosses the rule
        await record(a, OTHER, booking("OT-1", amount="60000000.00", currency="EUR"))
        big = replace(booking("AF-1", amount="60000000.00"),
                      booked_at=datetime.combine(YESTERDAY, datetime.min.time(), UTC) + timedelta(hours=10))
        assert (await record(a, TENANT, big))["inserted"] == 1
        result = await asyncio.wait_for(first, 10)
        await _wait_idle(a)
        await asyncio.sleep(0.3)  # time for anything misrouted to arrive
        await stranger.stop()
    # pushes carry no extensions: alertFired is charged per push like bookingEvents (test_live_sharing.py)
    assert result.extensions is None
    fired = result.data["alertFired"]
    assert fired == {"ruleId": rule_id, "start": str(YESTERDAY), "value": 60_000_000.0,
                     "firedAt": fired["firedAt"], "delivery": "NONE"}
    # the same event the query lists
    events = await query(b, f'{{ tenant(id: "{TENANT}") {{ alerts(range: {{from: "{YESTERDAY}", '
                            f'to: "{YESTERDAY + timedelta(days=2)}"}}) {{ ruleId start value firedAt delivery }} }} }}',
                         bearer([TENANT]))
    assert events["tenant"]["alerts"] == [fired]
    assert stranger.items == [] and stranger.error is None


async def test_alert_fired_is_gated_and_scoped_like_the_other_subscriptions(aiohttp_server, sqlite_demo_url: str) -> None:  # type: ignore[no-untyped-def]
    server = await start(aiohttp_server, settings(sqlite_demo_url))
    async with session(server, bearer(tier="FREE")) as client:
        with pytest.raises(TransportQueryError) as refused:
            async for _ in client.subscribe(request(ALERT_FIRED, t=TENANT)):
                pass
    assert refused.value.errors[0]["extensions"] == {"code": "FORBIDDEN", "requiredTier": "PROFESSIONAL"}
    async with session(server, bearer([TENANT])) as client:
        with pytest.raises(TransportQueryError) as refused:
            async for _ in client.subscribe(request(ALERT_FIRED, t=OTHER)):
                pass
    assert refused.value.errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert server.app[appkeys.LIVE].slots.local == {}  # refused subscriptions hold no slot


async def test_an_alert_firing_does_not_push_live_metrics(aiohttp_server, sqlite_demo_url: str) -> None:  # type: ignore[no-untyped-def]
    """A firing carries no new data: liveMetrics subscribers are not woken by it."""
    from live.events import AlertFiring, LiveEvent

    server = await start(aiohttp_server, settings(sqlite_demo_url))
    broker = server.app[appkeys.LIVE].broker
    metrics, events = broker.subscribe(TENANT, coalesce=True), broker.subscribe(TENANT)
    firing = AlertFiring("7", YESTERDAY, 1.5, datetime(2026, 1, 1, 12), "NONE")
    await broker.publish(TENANT, LiveEvent(tenant_id=TENANT, alerts=(firing,)))
    assert metrics.pending() == 0
    assert [item.alerts for item in [await events.__anext__()]] == [(firing,)]
    assert LiveEvent.decode(LiveEvent(tenant_id=TENANT, alerts=(firing,)).encode()).alerts == (firing,)
    metrics.close()
    events.close()
