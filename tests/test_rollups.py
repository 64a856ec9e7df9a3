"""The rollups answer exactly what the raw rows answer, before and after every kind of write.

Each check loads the same keys twice, through the rollups and through the raw SELECTs, and
compares; one case per store also goes through GraphQL against tests/oracle.py, recomputed
from the raw rows after the writes. (tests/test_oracle.py checks the default, rollup, path
against the oracle on many more cases.)
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from loaders.dataloaders import Loaders
from loaders.facts import Traffic, TrafficMeasure
from core.calendar import DayRange
from core.vocabulary import Dimension, Granularity
from loaders.rollup_tables import (
    VISITOR,
    customer_firsts,
    rollup_bookings,
    rollup_members,
    rollup_surveys,
    rollup_booking_packs,
    rollup_survey_packs,
    rollup_traffic,
    rollup_traffic_packs,
)
from loaders.rollups import check_changes, refresh_all
from loaders.bulk_insert import insert_rows
from loaders.tables import bookings, pageviews, surveys
from resolvers.money import FxTable
from tests import datagen
from tests.oracle import Oracle, read_raw
from tests.services import fresh_store

BACKENDS = ["sqlite", "mariadb"]
DATA = datagen.generate()
SHAPES: list[Any] = [None, *Granularity, *Dimension]
TENANT = "orc-city-eur"  # holds the hand-made repeat-booking cases


@pytest.fixture(scope="module", params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_store(request.param, str(tmp_path_factory.mktemp(f"rollups-{request.param}"))) as url:
        asyncio.run(datagen.load(url, DATA))
        yield url


def run(url: str, action: Any) -> Any:
    async def main() -> Any:
        engine = create_async_engine(url)
        try:
            return await action(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def random_keys(rng: random.Random, count: int) -> list[tuple[str, DayRange, Any]]:
    keys = []
    for _ in range(count):
        start = datagen.START + timedelta(days=rng.randrange((datagen.END - datagen.START).days + 1))
        end = min(datagen.END + timedelta(days=3), start + timedelta(days=rng.choice([0, 1, 6, 30, 95, 400])))
        keys.append((rng.choice(datagen.TENANT_IDS), DayRange(start, end), rng.choice(SHAPES)))
    return keys


async def differences(engine: AsyncEngine, keys: list[tuple[str, DayRange, Any]]) -> list[str]:
    """Every key whose traffic, bookings (both splits) or surveys differ between the two paths."""
    fast, raw = Loaders(engine, rollups=True), Loaders(engine, rollups=False)
    found = []
    for tenant_id, days, shape in keys:
        pairs = {
            "traffic": (fast.traffic.load((tenant_id, days, shape)), raw.traffic.load((tenant_id, days, shape))),
            "bookings": (fast.bookings.load((tenant_id, days, False)), raw.bookings.load((tenant_id, days, False))),
            "by channel": (fast.bookings.load((tenant_id, days, True)), raw.bookings.load((tenant_id, days, True))),
            "surveys": (fast.surveys.load((tenant_id, days)), raw.surveys.load((tenant_id, days))),
        }
        for name, (a, b) in pairs.items():
            got, want = _normal(await a), _normal(await b)
            if got != want:
                found.append(f"{name} {tenant_id} {days} {shape}: rollups {got!r:.300} raw {want!r:.300}")
    return found


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key)[:10] if key is not None else None: v for key, v in value.items()}
    return sorted(value, key=repr)


def test_rollups_equal_raw_on_random_keys(store_url: str) -> None:
    keys = random_keys(random.Random(11), 60)
    keys += [(tenant_id, DayRange(datagen.START, datagen.END), None) for tenant_id in datagen.TENANT_IDS]
    assert run(store_url, lambda engine: differences(engine, keys)) == []


@pytest.mark.parametrize("limit", [None, 4])
def test_traffic_packs_read_by_the_week_or_by_the_day_equal_raw(store_url: str, limit: int | None) -> None:
    """MySQL and MariaDB read the packs a week per row (GROUP_CONCAT); a week cut short by
    group_concat_max_len (4 bytes here) is noticed and the range read a day per row again.
    SQLite reads a day per row."""
    keys = random_keys(random.Random(12), 25)
    mysql = store_url.startswith("mysql")
    args = {"init_command": f"SET SESSION group_concat_max_len = {limit}"} if mysql and limit else {}
    statements: list[str] = []

    async def check() -> list[str]:
        engine = create_async_engine(store_url, connect_args=args)
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        try:
            return await differences(engine, keys)
        finally:
            await engine.dispose()

    assert asyncio.run(check()) == []
    packs = [s for s in statements if "FROM rollup_traffic_packs" in s]
    weekly = [s for s in packs if "GROUP_CONCAT" in s]
    if not mysql:
        assert packs and not weekly
    elif not limit:
        assert packs and weekly == packs
    else:  # every range with packs was read again by the day (ranges without any were not)
        assert 0 < len(packs) - len(weekly) <= len(weekly)


def test_rollups_are_not_trivially_empty(store_url: str) -> None:
    async def counts(engine: AsyncEngine) -> list[int]:
        async with engine.connect() as conn:
            return [
                (await conn.execute(select(func.count()).select_from(table))).scalar_one()
                for table in (rollup_traffic, rollup_bookings, customer_firsts, rollup_surveys, rollup_members)
            ]

    traffic, booking_rows, firsts, survey_days, members = run(store_url, counts)
    assert 0 < traffic < len(DATA.pageviews)  # deduplicated: fewer rows than pageviews
    assert 0 < members <= traffic * 2
    assert 0 < booking_rows and 0 < firsts and 0 < survey_days


def _booking(ref: str, at: datetime, customer: str, status: str = "confirmed", amount: str = "100.00") -> dict:
    return {"tenant_id": TENANT, "booking_ref": ref, "booked_at": at, "customer_id": customer, "visitor_id": None,
            "check_in": at.date() + timedelta(days=10), "nights": 2, "rooms": 1, "amount": Decimal(amount),
            "currency": "EUR", "status": status, "channel": "direct"}


def _pageview(at: datetime, visitor: str, session: str, step: str = "search", country: str | None = "DE") -> dict:
    return {"tenant_id": TENANT, "ts": at, "visitor_id": visitor, "session_id": session, "step": step,
            "channel": "email", "device": "mobile", "country": country, "logged_in": True,
            "utm_source": None, "utm_medium": None, "utm_campaign": None, "referrer": None}


async def _write(engine: AsyncEngine, maintain: bool) -> None:
    """Writes that move repeat flags on other days, add days, and reuse existing members."""
    async with engine.connect() as conn:
        customer, first = (await conn.execute(
            select(bookings.c.customer_id, func.min(bookings.c.booked_at))
            .where(bookings.c.tenant_id == TENANT, bookings.c.status == "confirmed")
            .group_by(bookings.c.customer_id).order_by(func.count().desc(), bookings.c.customer_id).limit(1)
        )).one()
        visitor, session = (await conn.execute(
            select(pageviews.c.visitor_id, pageviews.c.session_id).where(pageviews.c.tenant_id == TENANT).limit(1)
        )).one()
    first = first if isinstance(first, datetime) else datetime.fromisoformat(str(first))
    tag = f"w{random.randrange(10**9)}"
    rows = [
        # earlier than the customer's first confirmed booking: the old first becomes a repeat
        _booking(f"{tag}-early", first - timedelta(days=40), customer),
        _booking(f"{tag}-cxl", first - timedelta(days=50), customer, status="cancelled"),
        _booking(f"{tag}-new", datetime(2025, 7, 1, 9), f"{tag}-cust", amount="10.05"),
        _booking(f"{tag}-new2", datetime(2025, 9, 1, 9), f"{tag}-cust", amount="10.05"),
    ]
    views = [
        _pageview(datetime(2025, 3, 3, 23, 59), visitor, session, "confirmation"),
        _pageview(datetime(2025, 3, 4, 0, 1), visitor, session, "landing", None),
        _pageview(datetime(2026, 1, 2, 8), f"{tag}-v", f"{tag}-s", "booking_form"),
        # ids differing only in case: one member on MariaDB (its collation), two on SQLite,
        # exactly as the raw rows count them
        _pageview(datetime(2025, 3, 5, 10), visitor.upper(), session.upper(), "search"),
        _pageview(datetime(2025, 3, 5, 11), f"{tag}-V", f"{tag}-S", "landing"),
    ]
    answers = [{"tenant_id": TENANT, "ts": datetime(2025, 3, 4, 12), "score": 10, "booking_ref": None}]
    await insert_rows(engine, bookings, rows, rollups=maintain)
    await insert_rows(engine, pageviews, views, rollups=maintain)
    await insert_rows(engine, surveys, answers, rollups=maintain)


def _whole(tenant_id: str = TENANT) -> list[tuple[str, DayRange, Any]]:
    return [(tenant_id, DayRange(datagen.START, date(2026, 1, 31)), shape) for shape in SHAPES]


def test_writes_keep_rollups_exact(store_url: str) -> None:
    async def scenario(engine: AsyncEngine) -> tuple[list[str], Any, Any]:
        await _write(engine, maintain=True)
        found = await differences(engine, _whole() + random_keys(random.Random(5), 20))
        oracle = Oracle(await read_raw(engine, [TENANT]))
        metrics = await Loaders(engine).bookings.load((TENANT, DayRange(datagen.START, date(2026, 1, 31)), False))
        return found, oracle, metrics

    found, oracle, rows = run(store_url, scenario)
    assert found == []
    expected = oracle.stats(TENANT, datagen.START, date(2026, 1, 31), "EUR")
    assert sum(r.confirmed for r in rows) == expected["BOOKINGS"]
    assert Fraction(sum(r.repeats for r in rows), sum(r.confirmed for r in rows)) == expected["REPEAT_BOOKING_RATE"]


def test_change_check_catches_outside_loads(store_url: str) -> None:
    async def scenario(engine: AsyncEngine) -> tuple[list[str], list[str], set[str], list[str], set[str], set[str]]:
        await check_changes(engine)  # whatever earlier tests left
        await _write(engine, maintain=False)  # an ETL job the gateway is not told about
        stale = await differences(engine, _whole())
        caught = await check_changes(engine)
        after_append = await differences(engine, _whole())
        async with engine.begin() as conn:  # deletes and in-place changes, also unannounced
            await conn.execute(delete(bookings).where(bookings.c.booking_ref.like("w%-early")))
            await conn.execute(delete(pageviews).where(pageviews.c.tenant_id == TENANT, pageviews.c.step == "search"))
        caught_delete = await check_changes(engine)
        quiet = await check_changes(engine)
        return stale, after_append, caught, await differences(engine, _whole()), caught_delete, quiet

    stale, after_append, caught, after_delete, caught_delete, quiet = run(store_url, scenario)
    assert stale, "the outside load should be invisible until the check runs"
    assert caught == {TENANT} and after_append == []
    assert caught_delete == {TENANT} and after_delete == []
    assert quiet == set()


def test_refresh_is_rerunnable_and_in_place_updates_need_it(store_url: str) -> None:
    async def scenario(engine: AsyncEngine) -> tuple[list[str], list[str], list[Any], list[Any]]:
        async with engine.begin() as conn:  # same count, same ids: only `rollup refresh` sees it
            await conn.execute(update(bookings).where(bookings.c.tenant_id == TENANT).values(nights=bookings.c.nights + 1))
        stale = await differences(engine, _whole()[:1])
        await refresh_all(engine, TENANT, since=None)
        first = await _snapshot(engine)
        await refresh_all(engine)
        await refresh_all(engine, TENANT, since=date(2025, 6, 1))
        return stale, await differences(engine, _whole()), first, await _snapshot(engine)

    stale, fresh, first, second = run(store_url, scenario)
    assert stale and fresh == []
    assert first == second


async def _snapshot(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        out = []
        for table in (rollup_traffic, rollup_traffic_packs, rollup_bookings, rollup_booking_packs, customer_firsts,
                      rollup_surveys, rollup_survey_packs, rollup_members):
            rows = (await conn.execute(select(table))).all()
            out.append(sorted(map(repr, rows)))
        return out


def test_traffic_computes_only_the_measures_asked_for(store_url: str) -> None:
    """Any subset of measures (alone, or merged with other keys of the same batch) gives the
    values of a full load for those measures, through the rollups and the raw rows."""
    rng = random.Random(23)
    keys = random_keys(rng, 30)
    subsets = [frozenset(rng.sample(list(TrafficMeasure), rng.randint(1, len(TrafficMeasure)))) for _ in keys]

    def picked(traffic: dict[Any, Traffic], measures: frozenset[TrafficMeasure]) -> dict[Any, tuple[Any, ...]]:
        fields = {TrafficMeasure.VISITORS: "visitors", TrafficMeasure.SESSIONS: "sessions",
                  TrafficMeasure.PAGEVIEWS: "pageviews", TrafficMeasure.LOGGED_IN: "logged_in_visitors",
                  TrafficMeasure.FUNNEL: "funnel_sessions"}
        return _normal({k: tuple(getattr(v, fields[m]) for m in sorted(measures)) for k, v in traffic.items()})

    async def scenario(engine: AsyncEngine) -> list[str]:
        found = []
        for rollups in (True, False):
            whole, alone = Loaders(engine, rollups=rollups), Loaders(engine, rollups=rollups)
            for (tenant_id, days, shape), measures in zip(keys, subsets):
                want = await whole.traffic.load((tenant_id, days, shape))
                got = await alone.traffic.load((tenant_id, days, shape, measures))
                if picked(got, measures) != picked(want, measures):
                    found.append(f"rollups={rollups} {tenant_id} {days} {shape} {sorted(measures)}")
            # two keys of one batch asking different measures of the same range and shape
            tenant_id, days, shape = keys[0]
            both = Loaders(engine, rollups=rollups)
            a, b = await asyncio.gather(
                both.traffic.load((tenant_id, days, shape, frozenset({TrafficMeasure.VISITORS}))),
                both.traffic.load((tenant_id, days, shape, frozenset({TrafficMeasure.FUNNEL}))),
            )
            want = await whole.traffic.load((tenant_id, days, shape))
            if picked(a, frozenset({TrafficMeasure.VISITORS})) != picked(want, frozenset({TrafficMeasure.VISITORS})) \
                    or picked(b, frozenset({TrafficMeasure.FUNNEL})) != picked(want, frozenset({TrafficMeasure.FUNNEL})):
                found.append(f"rollups={rollups} merged batch")
        return found

    assert run(store_url, scenario) == []


def test_rates_of_a_range_convert_like_all_rates(store_url: str) -> None:
    """Loading only the rates a range can use (no result cache) converts every day of the range
    as the whole table does: ranges before, across and after each currency's rates, and
    currencies whose rates start late (the earliest-after rule) or skip days."""
    rng = random.Random(31)
    codes = ["EUR", "GBP", "CHF", "SEK", "USD"]
    ranges = [DayRange(date(2024, 1, 1), date(2024, 1, 5)), DayRange(date(2024, 8, 1), date(2025, 4, 1)),
              DayRange(date(2026, 5, 1), date(2026, 5, 3))]
    for _ in range(20):
        start = date(2024, 6, 1) + timedelta(days=rng.randrange(700))
        ranges.append(DayRange(start, start + timedelta(days=rng.choice([0, 3, 40, 200]))))

    async def scenario(engine: AsyncEngine) -> list[str]:
        everything = FxTable(await Loaders(engine).fx.rates(codes))
        found = []
        for days in ranges:
            part = await Loaders(engine).fx.rates(codes, days)  # no result cache: only the range's rates
            assert 0 < len(part) <= len(codes)
            table = FxTable(part)
            day = days.start
            while day <= days.end:
                for code in codes:
                    if table.usd_per_unit(code, day) != everything.usd_per_unit(code, day):
                        found.append(f"{code} {day} in {days}")
                day += timedelta(days=1)
        return found

    assert run(store_url, scenario) == []


def test_full_refresh_drops_numbers_of_ids_no_longer_seen(store_url: str) -> None:
    """rollup_members holds visitor and session ids (personal data): once a visitor's pageviews
    are gone (erasure), a full refresh removes the visitor's number; every number kept is used."""
    async def scenario(engine: AsyncEngine) -> tuple[int, int, int]:
        async with engine.connect() as conn:
            (visitor,) = (await conn.execute(
                select(pageviews.c.visitor_id).where(pageviews.c.tenant_id == TENANT).limit(1))).one()
        m, r = rollup_members.c, rollup_traffic.c
        numbered = select(func.count()).where(m.tenant_id == TENANT, m.kind == VISITOR, m.member == visitor)
        async with engine.connect() as conn:
            before = (await conn.execute(numbered)).scalar_one()
        async with engine.begin() as conn:
            await conn.execute(delete(pageviews).where(pageviews.c.tenant_id == TENANT, pageviews.c.visitor_id == visitor))
        await refresh_all(engine, TENANT)
        async with engine.connect() as conn:
            after = (await conn.execute(numbered)).scalar_one()
            unused = (await conn.execute(select(func.count()).where(
                m.tenant_id == TENANT,
                ~select(r.n).where(r.tenant_id == TENANT, (r.visitor_num == m.num) | (r.session_num == m.num)).exists(),
            ))).scalar_one()
        return before, after, unused

    before, after, unused = run(store_url, scenario)
    assert (before, after, unused) == (1, 0, 0)


def test_a_rollup_traffic_of_the_old_shape_is_dropped_and_rebuilt(tmp_path: Any) -> None:
    """A store whose rollup_traffic held the ids themselves (no member numbers) gets the new table
    at schema creation, and the change check then rebuilds it from the raw rows."""
    from loaders.store import create_schema

    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"

    async def scenario(engine: AsyncEngine) -> tuple[int, list[str]]:
        await create_schema(engine)
        await insert_rows(engine, pageviews, [_pageview(datetime(2025, 3, 3, 9), "v1", "s1")])
        async with engine.begin() as conn:  # the earlier shape, as an older release left it
            await conn.exec_driver_sql("DROP TABLE rollup_traffic")
            await conn.exec_driver_sql(
                "CREATE TABLE rollup_traffic (tenant_id VARCHAR(64), day DATE, n INTEGER, session_id VARCHAR(64),"
                " visitor_id VARCHAR(64), channel VARCHAR(32), device VARCHAR(16), country CHAR(2), logged_in BOOLEAN,"
                " steps INTEGER, pageviews INTEGER, PRIMARY KEY (tenant_id, day, n))")
        await create_schema(engine)
        await check_changes(engine)
        async with engine.connect() as conn:
            rows = (await conn.execute(select(func.count()).select_from(rollup_traffic))).scalar_one()
        return rows, await differences(engine, [(TENANT, DayRange(date(2025, 3, 1), date(2025, 3, 31)), None)])

    rows, found = run(url, scenario)
    assert rows == 1 and found == []


def test_a_store_from_before_packs_gets_them_from_its_rollups(tmp_path: Any) -> None:
    """Schema creation packs the traffic, booking and survey rollups a store already has, so they keep
    answering at once and exactly, also for days whose raw pageviews are gone (nothing to
    rebuild them from)."""
    from loaders.store import create_schema

    url = f"sqlite+aiosqlite:///{tmp_path}/unpacked.db"
    march = DayRange(date(2025, 3, 1), date(2025, 3, 31))

    async def scenario(engine: AsyncEngine) -> tuple[list[int], list[str], dict[Any, Traffic], list[str]]:
        await create_schema(engine)
        views = [_pageview(datetime(2025, 3, 3, 9), "v1", "s1"), _pageview(datetime(2025, 3, 4, 9), "v1", "s2")]
        await insert_rows(engine, pageviews, views)
        await insert_rows(engine, bookings, [_booking("p1", datetime(2025, 3, 3, 10), "c1"),
                                             _booking("p2", datetime(2025, 4, 3, 10), "c1", amount="80.50")])
        await insert_rows(engine, surveys, [{"tenant_id": TENANT, "ts": datetime(2025, 3, 5, 8), "score": 9,
                                             "booking_ref": "p1"}])
        before = await differences(engine, [(TENANT, march, shape) for shape in SHAPES])
        async with engine.begin() as conn:  # as a release before packs left the store
            await conn.exec_driver_sql("DROP TABLE rollup_traffic_packs")
            await conn.exec_driver_sql("DROP TABLE rollup_booking_packs")
            await conn.exec_driver_sql("DROP TABLE rollup_survey_packs")
            await conn.execute(delete(pageviews).where(pageviews.c.ts < datetime(2025, 3, 4)))
        await create_schema(engine)
        async with engine.connect() as conn:
            packed = [(await conn.execute(select(func.count()).select_from(table))).scalar_one()
                      for table in (rollup_traffic_packs, rollup_booking_packs, rollup_survey_packs)]
        spring = DayRange(date(2025, 3, 1), date(2025, 4, 30))
        booked = await differences(engine, [(TENANT, spring, None)])
        return packed, before, await Loaders(engine).traffic.load((TENANT, march, None)), booked

    packed, before, traffic, booked = run(url, scenario)
    assert before == [] and packed == [2, 2, 1]  # two days; two months; one month
    assert traffic[None].visitors == 1 and traffic[None].sessions == 2 and traffic[None].pageviews == 2
    # bookings and surveys were not dropped: rollups and raw rows still agree (the traffic of March 3
    # is only in the rollups)
    assert [line for line in booked if not line.startswith("traffic")] == []
