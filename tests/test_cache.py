"""The result cache returns what the uncached path returns, forgets on writes, keeps tenants apart
and never fails a request when Redis is gone."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from aiocache import SimpleMemoryCache
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from cache.results import ResultCache
from gateway.app import create_app
from gateway.database import create_engine
from gateway.resources import cache_namespace
from demo.seeding import seed_store
from gateway.settings import Settings
from loaders.dataloaders import Loaders
from core.calendar import DayRange
from core.vocabulary import Dimension, Granularity
from loaders.service import DataService
from loaders.bulk_insert import insert_rows
from loaders.rollups import refresh_all
from loaders.tables import bookings, tenants
from telemetry.metrics import CACHE_ERRORS, CACHE_HITS
from tests.conftest import BACKENDS, SECRET, make_token
from tests.services import fresh_store, redis_url

END = date(2026, 2, 10)
SHAPES: list[Any] = [None, *Granularity, *Dimension]
DASHBOARD = """query($id: ID!, $from: Date!, $to: Date!) { tenant(id: $id) {
  metrics(range: {from: $from, to: $to}) { uniqueVisitors sessions pageviews bookings revenue { amount currency }
    repeatBookingRate nps previousPeriod { bookings revenue { amount } uniqueVisitors } }
  charts(range: {from: $from, to: $to}) { visitorsByChannel { key value share } bookingFunnel { step sessions }
    revenueTrend { start value } npsTrend { start value } rebookingTrend { start value } loginStatus { key value } }
  breakdown(metric: REVENUE, by: CHANNEL, range: {from: $from, to: $to}, currency: "USD") { key value share }
} }"""


@pytest.fixture(scope="module", params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small demo store of its own: these tests write to it."""
    with fresh_store(request.param, str(tmp_path_factory.mktemp(f"cache-{request.param}"))) as url:
        asyncio.run(_seed(url))
        yield url


async def _seed(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        await seed_store(engine, tenants=4, days=120, seed=5, end=END, progress=False)
    finally:
        await engine.dispose()


async def _tenant_ids(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return [row[0] for row in await conn.execute(select(tenants.c.id).order_by(tenants.c.id))]


def _service(engine: AsyncEngine, backend: Any = None) -> DataService:
    return DataService(engine, cache=backend or SimpleMemoryCache())


def _random_keys(rng: random.Random, ids: list[str], n: int) -> list[tuple[str, DayRange, Any]]:
    out = []
    for _ in range(n):
        start = END - timedelta(days=rng.randrange(130))
        out.append((rng.choice(ids), DayRange(start, min(END, start + timedelta(days=rng.choice([0, 3, 20, 45, 90])))),
                    rng.choice(SHAPES)))
    return out


async def _answers(loaders: Loaders, keys: list[tuple[str, DayRange, Any]]) -> list[Any]:
    out = []
    for tenant_id, days, shape in keys:
        out.append((
            await loaders.traffic.load((tenant_id, days, shape)),
            sorted(await loaders.bookings.load((tenant_id, days, shape is Dimension.CHANNEL)), key=repr),
            await loaders.surveys.load((tenant_id, days)),
        ))
    return out


def _run(url: str, scenario: Any) -> Any:
    async def main() -> Any:
        engine = create_engine(Settings(database_url=url))
        try:
            return await scenario(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def test_cached_equals_uncached_for_overlapping_ranges(store: str) -> None:
    async def scenario(engine: AsyncEngine) -> tuple[list[Any], list[Any], list[Any], int]:
        ids = await _tenant_ids(engine)
        keys = _random_keys(random.Random(3), ids, 40)
        data = _service(engine)
        cold = await _answers(data.loaders(), keys)  # fills month chunks, reused by later ranges
        warm = await _answers(data.loaders(), list(reversed(keys)))
        seen: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
        await _answers(data.loaders(), keys)
        statements = len(seen)
        return cold, list(reversed(warm)), await _answers(Loaders(engine, rollups=False), keys), statements

    cold, warm, raw, statements = _run(store, scenario)
    assert cold == raw
    assert warm == raw
    assert statements == 0, "a repeated set of questions is answered from the cache alone"


def test_a_write_invalidates_at_once(store: str) -> None:
    async def scenario(engine: AsyncEngine) -> tuple[int, int, int]:
        tenant_id = (await _tenant_ids(engine))[0]
        data = _service(engine)
        days = DayRange(END - timedelta(days=30), END)

        async def confirmed() -> int:
            return sum(row.confirmed for row in await data.loaders().bookings.load((tenant_id, days, False)))

        before = await confirmed()
        assert await confirmed() == before  # now cached
        at = datetime.combine(END - timedelta(days=3), datetime.min.time()) + timedelta(hours=10)
        row = {"tenant_id": tenant_id, "booking_ref": f"cache-{uuid.uuid4().hex}", "booked_at": at,
               "customer_id": "cache-test", "visitor_id": None, "check_in": END, "nights": 1, "rooms": 1,
               "amount": 10, "currency": "EUR", "status": "confirmed", "channel": "direct"}
        await insert_rows(engine, bookings, [row], rollups=False)
        await data.written(tenant_id, [at.date()], ["bookings"])  # the write path's hook
        after = await confirmed()
        return before, after, sum(r.confirmed for r in await Loaders(engine).bookings.load((tenant_id, days, False)))

    before, after, truth = _run(store, scenario)
    assert after == before + 1 == truth


def test_keys_hold_the_tenant_and_tenants_never_share_answers(store: str) -> None:
    async def scenario(engine: AsyncEngine) -> tuple[list[str], list[str], dict[str, Any], dict[str, Any]]:
        ids = await _tenant_ids(engine)
        backend = SimpleMemoryCache()
        data = _service(engine, backend)
        days = DayRange(END - timedelta(days=60), END)
        got = {}
        for tenant_id in ids:
            got[tenant_id] = await data.loaders().traffic.load((tenant_id, days, None))
        raw = {t: await Loaders(engine, rollups=False).traffic.load((t, days, None)) for t in ids}
        return ids, list(backend._cache), got, raw

    ids, keys, got, raw = _run(store, scenario)
    assert keys and all(any(f'"{t}"' in key for t in ids) for key in keys)
    assert got == raw and len({repr(v) for v in got.values()}) == len(ids)


def test_identical_concurrent_misses_run_once(store: str) -> None:
    async def scenario(engine: AsyncEngine) -> tuple[int, int, list[Any]]:
        ids = await _tenant_ids(engine)
        data = _service(engine)
        days = DayRange(END - timedelta(days=90), END)
        seen: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
        answers = await asyncio.gather(*(data.loaders().traffic.load((ids[1], days, Dimension.DEVICE)) for _ in range(20)))
        return len([s for s in seen if "rollup_traffic" in s]), data.flights.shared, answers

    statements, shared, answers = _run(store, scenario)
    assert statements == 1 and shared == 19
    assert all(answer == answers[0] for answer in answers)


def test_two_stores_never_share_cache_keys() -> None:
    one = cache_namespace(Settings(database_url="mysql+aiomysql://u:secret@db:3306/prod"))
    two = cache_namespace(Settings(database_url="mysql+aiomysql://u:secret@db:3306/staging"))
    assert one != two and one.startswith("gw:cache:") and "secret" not in one
    same = cache_namespace(Settings(database_url="mysql+aiomysql://u:other@db:3306/prod"))
    assert same == one  # the replicas of one store share it, whatever their password


async def _dashboard(client: Any, tenant_id: str, start: str = "2025-11-01", end: str = "2026-02-10") -> Any:
    response = await client.post(
        "/graphql", json={"query": DASHBOARD, "variables": {"id": tenant_id, "from": start, "to": end}},
        headers={"Authorization": f"Bearer {make_token([tenant_id])}"},
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert "errors" not in body, body
    return body["data"]


async def _first_tenant(url: str) -> str:
    engine = create_engine(Settings(database_url=url))
    try:
        return (await _tenant_ids(engine))[0]
    finally:
        await engine.dispose()


def _settings(url: str, **extra: Any) -> Settings:
    return Settings(database_url=url, jwt_secret=SECRET, rollup_check_seconds=0, **extra)


async def test_http_answers_equal_with_and_without_cache_on_real_redis(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    namespace = f"test-{uuid.uuid4().hex}:"
    # the loader-level cache at work: no whole-response cache in front of it
    cached = await aiohttp_client(create_app(_settings(
        sqlite_demo_url, redis_url=redis_url(), cache_namespace=namespace, response_cache=False
    )))
    plain = await aiohttp_client(create_app(_settings(sqlite_demo_url, cache=False, rollups=False)))
    tenant_id = await _first_tenant(sqlite_demo_url)
    hits = CACHE_HITS.labels("redis")._value.get()
    first = await _dashboard(cached, tenant_id)
    second = await _dashboard(cached, tenant_id)
    assert first == second == await _dashboard(plain, tenant_id)
    assert CACHE_HITS.labels("redis")._value.get() > hits


async def test_redis_down_never_fails_a_request(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    down = "redis://127.0.0.1:1/15"  # nothing listens on port 1
    client = await aiohttp_client(create_app(_settings(sqlite_demo_url, redis_url=down)))
    plain = await aiohttp_client(create_app(_settings(sqlite_demo_url, cache=False)))
    tenant_id = await _first_tenant(sqlite_demo_url)
    errors = CACHE_ERRORS.labels("redis")._value.get()
    answers = [await _dashboard(client, tenant_id) for _ in range(3)]
    expected = await _dashboard(plain, tenant_id)
    assert all(answer == expected for answer in answers)
    assert CACHE_ERRORS.labels("redis")._value.get() > errors


async def test_a_broken_backend_is_bypassed_then_retried() -> None:
    class Flaky(SimpleMemoryCache):
        broken = True

        async def multi_get(self, keys: Any, *args: Any, **kwargs: Any) -> Any:
            if self.broken:
                raise ConnectionError("down")
            return await super().multi_get(keys, *args, **kwargs)

    backend = Flaky()
    cache = ResultCache(backend, "test", retry_seconds=0.05)
    assert await cache.get_many(["a"]) == [None]
    assert not cache.available  # bypassed for a while: no call reaches the backend
    backend.broken = False
    await asyncio.sleep(0.06)
    await cache.set_many([("a", 1)], ttl=10)
    assert await cache.get_many(["a"]) == [1]



def test_a_refresh_by_another_process_is_seen_at_the_next_check(store: str) -> None:
    """`rollup refresh` after an in-place ETL update: the serving process's cache notices the
    new stored versions at its next change check, without Redis."""
    async def scenario(engine: AsyncEngine) -> tuple[int, int, int, set[str], int]:
        tenant_id = (await _tenant_ids(engine))[1]
        data = _service(engine)
        await data.check()  # the baseline of stored versions
        days = DayRange(END - timedelta(days=60), END)

        async def nights() -> int:
            return sum(row.room_nights for row in await data.loaders().bookings.load((tenant_id, days, False)))

        before = await nights()
        async with engine.begin() as conn:
            await conn.execute(update(bookings).where(bookings.c.tenant_id == tenant_id).values(nights=bookings.c.nights + 1))
        await refresh_all(engine, tenant_id)  # what `analytics-gateway rollup refresh` runs
        stale = await nights()  # still cached: nothing told this process yet
        changed = await data.check()
        return before, stale, await nights(), changed, sum(
            r.room_nights for r in await Loaders(engine, rollups=False).bookings.load((tenant_id, days, False)))

    before, stale, after, changed, truth = _run(store, scenario)
    assert stale == before and after == truth and after > before
    assert len(changed) == 1
