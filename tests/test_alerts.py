"""Alert rules end to end: the real app, a real local HTTP receiver, SQLite and MariaDB.

The receiver is an aiohttp server on 127.0.0.1, so these apps allow loopback targets
explicitly (WEBHOOK_ALLOW_PRIVATE); the SSRF tests run with the default (refused).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from gateway.settings import Settings
from tests.conftest import SECRET, make_token
from tests.services import fresh_store

TENANT = "al-hotel"
LAST_DAY = date(2025, 6, 30)
FAST = {"webhook_backoff_seconds": 0.05, "webhook_poll_seconds": 0.05, "alert_eval_interval_seconds": 0}
CREATE = """mutation($rule: AlertRuleInput!) { createAlertRule(rule: $rule) {
  id metric granularity condition threshold webhookUrl active lastFiredAt secret } }"""
RULES = "{ tenant { alertRules { id secret lastFiredAt } } }"
_TODAY = date.today()
EVENTS = (  # alerts fired (firedAt) in the last month
    f'{{ tenant {{ alerts(range: {{from: "{_TODAY - timedelta(days=30)}", to: "{_TODAY + timedelta(days=1)}"}}) '
    "{ ruleId start value firedAt delivery } } }"
)


@pytest.fixture(params=["sqlite", "mariadb"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with fresh_store(request.param, str(tmp_path)) as url:
        yield url


async def _fill(url: str) -> None:
    """Two confirmed bookings on 2025-06-29, none on the last data day (a pageview) 2025-06-30."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from loaders import tables
    from loaders.bulk_insert import insert_rows
    from loaders.store import create_schema

    engine = create_async_engine(url)
    try:
        await create_schema(engine)
        await insert_rows(engine, tables.tenants, [
            {"id": TENANT, "name": "Alert Hotel", "segment": "city_hotel", "country": "DE", "currency": "EUR"}])
        await insert_rows(engine, tables.fx_rates, [
            {"currency": "EUR", "day": date(2025, 1, 1), "usd_per_unit": Decimal("1.10000000")}])
        await insert_rows(engine, tables.bookings, [
            {"tenant_id": TENANT, "booking_ref": f"B{i}", "booked_at": datetime(2025, 6, 29, 10 + i), "customer_id": f"c{i}",
             "visitor_id": None, "check_in": date(2025, 7, 10), "nights": 1, "rooms": 1, "amount": Decimal("100.00"),
             "currency": "EUR", "status": "confirmed", "channel": "direct"} for i in range(2)])
        await insert_rows(engine, tables.pageviews, [
            {"tenant_id": TENANT, "ts": datetime.combine(LAST_DAY, datetime.min.time()), "visitor_id": "v", "session_id": "s",
             "step": "landing", "channel": "direct", "device": "mobile", "country": "DE", "logged_in": False}])
    finally:
        await engine.dispose()


class Receiver:
    """A webhook endpoint that answers 500 to the first `failures` POSTs, then 200."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[bytes, dict[str, str]]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append((await request.read(), dict(request.headers)))
        return web.Response(status=500 if len(self.calls) <= self.failures else 200)

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


async def _app(aiohttp_client: Any, url: str, **settings: Any) -> Any:
    from gateway.app import create_app

    return await aiohttp_client(create_app(Settings(database_url=url, jwt_secret=SECRET, **settings)))


async def _post(client: Any, query: str, variables: dict | None = None, scope: str = "admin", tier: str = "PROFESSIONAL") -> dict:
    token = make_token([TENANT], tier=tier, scope=scope)
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}},
                                 headers={"Authorization": f"Bearer {token}"})
    return await response.json()


async def _until(predicate: Any, seconds: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_signed_webhook_is_retried_after_500s_and_fires_once(aiohttp_client, store_url: str) -> None:  # type: ignore[no-untyped-def]
    await _fill(store_url)
    async with Receiver(failures=2) as receiver:
        client = await _app(aiohttp_client, store_url, webhook_allow_private=True, webhook_allow_http=True, **FAST)
        rule = {"metric": "BOOKINGS", "granularity": "DAY", "condition": "ABOVE", "threshold": 1.5, "webhookUrl": receiver.url}
        created = (await _post(client, CREATE, {"rule": rule}))["data"]["createAlertRule"]
        assert created["secret"] and created["webhookUrl"] == receiver.url and created["active"] is True

        async def delivered() -> bool:
            return len(receiver.calls) >= 3

        await _until(delivered)
        await asyncio.sleep(0.3)  # a fourth (duplicate) call would arrive now
        assert len(receiver.calls) == 3
        bodies = {body for body, _ in receiver.calls}
        assert len(bodies) == 1  # the retries resend the same signed body
        body, headers = receiver.calls[-1]
        expected = "sha256=" + hmac.new(created["secret"].encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Signature"] == expected
        assert headers["Content-Type"] == "application/json"
        sent = json.loads(body)
        assert sent["ruleId"] == created["id"] and sent["tenantId"] == TENANT and sent["metric"] == "BOOKINGS"
        assert sent["start"] == "2025-06-29" and sent["value"] == 2.0 and sent["firedAt"].endswith("Z")

        async def marked() -> bool:
            events = (await _post(client, EVENTS))["data"]["tenant"]["alerts"]
            return [e["delivery"] for e in events] == ["DELIVERED"]

        await _until(marked)
        events = (await _post(client, EVENTS))["data"]["tenant"]["alerts"]
        assert [(e["ruleId"], e["start"], e["value"]) for e in events] == [(created["id"], "2025-06-29", 2.0)]
        rules = (await _post(client, RULES))["data"]["tenant"]["alertRules"]
        assert rules[0]["secret"] is None and rules[0]["lastFiredAt"] is not None  # the secret is shown once

        # at most once per period: evaluating again fires nothing new
        from alerts.evaluation import evaluate_tenant
        from gateway import appkeys

        assert await evaluate_tenant(client.app[appkeys.DATA].engine, TENANT) == []
        deleted = await _post(client, f'mutation {{ deleteAlertRule(id: "{created["id"]}") }}')
        assert deleted["data"]["deleteAlertRule"] is True
        assert (await _post(client, RULES))["data"]["tenant"]["alertRules"] == []


async def test_a_pending_delivery_survives_a_restart(aiohttp_client, store_url: str) -> None:  # type: ignore[no-untyped-def]
    """A firing stored while no worker runs is delivered by the next process that starts."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from alerts.evaluation import evaluate_tenant
    from alerts.rules import AlertCondition, NewRule, create
    from core.vocabulary import Granularity
    from core.vocabulary import Metric

    await _fill(store_url)
    async with Receiver(failures=0) as receiver:
        engine = create_async_engine(store_url)
        try:
            rule = await create(engine, TENANT, NewRule(Metric.BOOKINGS, Granularity.DAY, AlertCondition.BELOW, 1.0,
                                                        receiver.url), 0)
            fired = await evaluate_tenant(engine, TENANT)
        finally:
            await engine.dispose()
        assert [(f.start, f.value) for f in fired] == [(LAST_DAY, 0.0)]
        assert receiver.calls == []
        await _app(aiohttp_client, store_url, webhook_allow_private=True, webhook_allow_http=True, **FAST)

        async def delivered() -> bool:
            return len(receiver.calls) == 1

        await _until(delivered)
        body, headers = receiver.calls[0]
        assert json.loads(body)["ruleId"] == str(rule.id)
        assert headers["X-Signature"] == "sha256=" + hmac.new(rule.secret.encode(), body, hashlib.sha256).hexdigest()


async def test_private_targets_are_refused(aiohttp_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path}/ssrf.db"
    await _fill(url)
    async with Receiver(failures=0) as receiver:
        client = await _app(aiohttp_client, url, webhook_allow_http=True, **FAST)  # private targets NOT allowed
        port = receiver.url.split(":")[2].split("/")[0]
        for target in ("http://127.0.0.1:1/x", "http://10.0.0.8/x", "http://169.254.169.254/latest/meta-data",
                       "http://[::1]/x", "http://[::ffff:127.0.0.1]/x", "ftp://example.com/x", "http://user:pw@example.com/"):
            rule = {"metric": "BOOKINGS", "condition": "ABOVE", "threshold": 0, "webhookUrl": target}
            answer = await _post(client, CREATE, {"rule": rule})
            assert answer["data"] is None, target
            assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (target, answer)
        # a name that resolves to loopback passes creation, and is refused at delivery
        rule = {"metric": "BOOKINGS", "condition": "ABOVE", "threshold": 1.5, "webhookUrl": f"http://localhost:{port}/hook"}
        created = (await _post(client, CREATE, {"rule": rule}))["data"]["createAlertRule"]
        assert created["id"]

        async def failed() -> bool:
            events = (await _post(client, EVENTS))["data"]["tenant"]["alerts"]
            return [e["delivery"] for e in events] == ["FAILED"]

        await _until(failed)
        assert receiver.calls == []  # nothing was sent
        from sqlalchemy import select

        from gateway import appkeys
        from loaders.tables import alert_events

        async with client.app[appkeys.DATA].engine.connect() as conn:
            errors = (await conn.execute(select(alert_events.c.last_error, alert_events.c.attempts))).all()
        assert len(errors) == 1 and errors[0][0].startswith("refused: ") and errors[0][1] == 1, errors


async def test_alert_mutations_need_admin_scope_and_professional_tier(aiohttp_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path}/scope.db"
    await _fill(url)
    client = await _app(aiohttp_client, url, **FAST)
    rule = {"metric": "REVENUE", "condition": "ANOMALY"}
    for scope, tier in (("", "PROFESSIONAL"), ("read ingest", "ENTERPRISE"), ("admin", "FREE")):
        answer = await _post(client, CREATE, {"rule": rule}, scope=scope, tier=tier)
        assert answer["data"] is None and answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", (scope, tier)
    answer = await _post(client, RULES, tier="FREE")
    assert answer["data"]["tenant"]["alertRules"] is None
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    created = (await _post(client, CREATE, {"rule": rule}))["data"]["createAlertRule"]
    assert created["threshold"] is None and created["condition"] == "ANOMALY" and created["webhookUrl"] is None
    missing = {"metric": "BOOKINGS", "condition": "BELOW"}
    answer = await _post(client, CREATE, {"rule": missing})
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # another tenant's rule cannot be deleted, nor can a rule be created for it
    other = '{ tenantId: "someone-else", rule: {metric: BOOKINGS, condition: ABOVE, threshold: 1} }'
    answer = await _post(client, "mutation { createAlertRule(tenantId: \"someone-else\", rule: {metric: BOOKINGS, condition: ABOVE, threshold: 1}) { id } }")
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", other
    assert (await _post(client, 'mutation { deleteAlertRule(id: "999999") }'))["data"]["deleteAlertRule"] is False


async def _rule_without_evaluation(url: str, webhook: str | None) -> Any:
    from sqlalchemy.ext.asyncio import create_async_engine

    from alerts.rules import AlertCondition, NewRule, create
    from core.vocabulary import Granularity
    from core.vocabulary import Metric

    engine = create_async_engine(url)
    try:
        return await create(engine, TENANT, NewRule(Metric.BOOKINGS, Granularity.DAY, AlertCondition.ABOVE, 1.0, webhook), 0)
    finally:
        await engine.dispose()


async def test_rules_are_judged_on_the_configured_schedule(aiohttp_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path}/schedule.db"
    await _fill(url)
    async with Receiver(failures=0) as receiver:
        await _rule_without_evaluation(url, receiver.url)
        settings = {**FAST, "alert_eval_interval_seconds": 1}
        await _app(aiohttp_client, url, webhook_allow_private=True, webhook_allow_http=True, **settings)

        async def delivered() -> bool:
            return len(receiver.calls) == 1

        await _until(delivered)
        assert json.loads(receiver.calls[0][0])["start"] == "2025-06-29"


async def test_new_data_triggers_an_evaluation_in_the_background(aiohttp_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The write-listener entry point: it returns at once; the evaluation follows."""
    from types import SimpleNamespace

    from gateway import appkeys

    url = f"sqlite+aiosqlite:///{tmp_path}/listener.db"
    await _fill(url)
    rule = await _rule_without_evaluation(url, None)
    client = await _app(aiohttp_client, url, **FAST)
    queue = client.app[appkeys.ALERT_EVALUATIONS]
    assert (await _post(client, EVENTS))["data"]["tenant"]["alerts"] == []
    await queue.on_written(SimpleNamespace(tenant_id=TENANT, kind="bookings"))
    await queue.idle()
    events = (await _post(client, EVENTS))["data"]["tenant"]["alerts"]
    assert [(e["ruleId"], e["start"], e["delivery"]) for e in events] == [(str(rule.id), "2025-06-29", "NONE")]


def test_only_whole_periods_are_judged() -> None:
    from alerts.evaluation import recent_whole_periods
    from core.vocabulary import Granularity as G

    # Saturday 2026-01-03: its ISO week (Mon 2025-12-29 .. Sun 2026-01-04) is not whole yet
    assert recent_whole_periods(date(2026, 1, 3), G.WEEK, 2) == [date(2025, 12, 15), date(2025, 12, 22)]
    assert recent_whole_periods(date(2026, 1, 4), G.WEEK, 1) == [date(2025, 12, 29)]
    assert recent_whole_periods(date(2026, 1, 31), G.MONTH, 2) == [date(2025, 12, 1), date(2026, 1, 1)]
    assert recent_whole_periods(date(2026, 1, 30), G.MONTH, 1) == [date(2025, 12, 1)]
    assert recent_whole_periods(date(2026, 3, 31), G.QUARTER, 1) == [date(2026, 1, 1)]
    assert recent_whole_periods(date(2026, 12, 30), G.YEAR, 1) == [date(2025, 1, 1)]
    assert recent_whole_periods(date(2026, 1, 1), G.DAY, 3) == [date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 1)]
