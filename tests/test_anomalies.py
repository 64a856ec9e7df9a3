"""Tenant.anomalies: injected spikes and drops are found, clean seasonal data is left alone."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import numpy as np
import pytest

from core.vocabulary import Granularity, Tier
from resolvers.anomalies import PLAIN, SEASONAL, THRESHOLD, Config, detect
from tests.conftest import BACKENDS
from tests.gql import execute
from tests.services import fresh_store

DAILY = SEASONAL[Granularity.DAY]
COUNTS = (0.0, float("inf"))
WEEKLY = (1.2, 1.25, 1.1, 1.0, 0.9, 0.7, 0.85)  # Monday first


def weekly_series(n: int, seed: int, noise: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 0.15 * t + 20 * np.sin(2 * np.pi * t / 7) + rng.normal(0, noise, n)


def flagged(
    values: list[float | None], config: Config = DAILY, bounds: tuple[float, float] = COUNTS, unit: float = 0.5,
    start: int = 0,
) -> dict[int, float]:
    judge = list(range(start, len(values)))
    return {i: score for i, _, _, _, _, score in detect(values, judge, config, bounds, unit)}


# ------------------------------------------------------------------ the detector alone


def test_clean_seasonal_series_gives_almost_no_flags() -> None:
    judged = found = 0
    for seed in range(6):
        y = weekly_series(280, seed)
        flags = flagged(list(y))
        judged += 280 - DAILY.need
        found += len(flags)
    assert found <= 0.005 * judged, (found, judged)  # a 3.5-sigma band: ~1 in 2000 for normal noise


def test_injected_spikes_and_drops_are_found_with_their_direction() -> None:
    for seed in range(4):
        y = weekly_series(260, seed)
        injected = {120: +30.0, 171: -30.0, 200: +25.0, 233: -28.0}  # ~8-10 noise sd
        for i, delta in injected.items():
            y[i] += delta
        flags = flagged(list(y))
        for i, delta in injected.items():
            assert i in flags and np.sign(flags[i]) == np.sign(delta), (seed, i, flags)
        assert len(set(flags) - set(injected)) <= 1


def test_a_spike_does_not_echo_one_cycle_later() -> None:
    y = weekly_series(200, 11)
    y[100] += 60.0
    flags = flagged(list(y))
    assert 100 in flags and not {107, 114, 121} & set(flags)


def test_points_without_enough_history_are_not_judged() -> None:
    y = weekly_series(120, 2)
    y[30] += 100.0  # far out, but only 30 days of history before it
    assert 30 not in flagged(list(y))
    assert DAILY.need > 30


def test_missing_ratio_values_are_skipped() -> None:
    rng = np.random.default_rng(5)
    rates = 0.3 + 0.05 * np.sin(np.arange(200) * 2 * np.pi / 7) + rng.normal(0, 0.01, 200)
    y: list[float | None] = list(np.clip(rates, 0, 1))
    for i in rng.choice(200, 25, replace=False):
        y[int(i)] = None  # periods without a denominator
    y[150] = 0.62
    flags = flagged(y, bounds=(0.0, 1.0), unit=1e-4)
    assert 150 in flags and flags[150] > THRESHOLD
    assert all(y[i] is not None for i in flags)


def test_flat_history_has_a_floor_under_its_spread() -> None:
    base = [5.0] * 90
    assert flagged(base + [6.0], start=90) == {}  # one more booking than ever: within half a unit's band
    scores = flagged(base + [9.0], start=90)
    assert scores == {90: pytest.approx(8.0)}  # (9 - 5) / 0.5: finite, however flat the past


def test_monthly_series_without_two_years_uses_the_plain_model() -> None:
    rng = np.random.default_rng(8)
    y = list(1000 + 10 * np.arange(40) + rng.normal(0, 20, 40))
    y[33] -= 400
    flags = flagged(y, config=PLAIN[Granularity.MONTH])
    assert set(flags) == {33} and flags[33] < -THRESHOLD


# ------------------------------------------------------------------ through GraphQL, on both backends

TENANT = "anom-city-usd"
SPIKE, DROP = date(2026, 5, 6), date(2026, 5, 23)
FIRST, LAST = date(2026, 1, 1), date(2026, 6, 30)


def _rows() -> dict[str, list[dict]]:
    rng = random.Random(42)
    tenants = [{"id": TENANT, "name": "Anomaly City", "segment": "city_hotel", "country": "US", "currency": "USD"}]
    bookings, day, n = [], FIRST, 0
    while day <= LAST:
        mean = 60 * WEEKLY[day.weekday()] * (1 + 0.001 * (day - FIRST).days)
        count = max(0, round(rng.gauss(mean, mean**0.5)))
        if day == SPIKE:
            count *= 3
        if day == DROP:
            count = 3
        for _ in range(count):
            n += 1
            bookings.append({
                "tenant_id": TENANT, "booking_ref": f"b{n}", "customer_id": f"c{n}", "visitor_id": None,
                "booked_at": datetime.combine(day, time()) + timedelta(seconds=rng.randrange(86400)),
                "check_in": day + timedelta(days=30), "nights": 2, "rooms": 1, "amount": 180,
                "currency": "USD", "status": "confirmed", "channel": "direct",
            })
        day += timedelta(days=1)
    return {"tenants": tenants, "bookings": bookings}


async def _load(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from loaders import tables
    from loaders.bulk_insert import insert_rows
    from loaders.store import analyze, create_schema

    engine = create_async_engine(url)
    try:
        await create_schema(engine)
        rows = _rows()
        await insert_rows(engine, tables.tenants, rows["tenants"])
        await insert_rows(engine, tables.bookings, rows["bookings"])
        await analyze(engine)  # stale MariaDB statistics after a bulk load make the EXISTS quadratic
    finally:
        await engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def anomaly_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_store(request.param, str(tmp_path_factory.mktemp("anomalies"))) as url:
        asyncio.run(_load(url))
        yield url


QUERY = """
query($f: Date!, $t: Date!, $g: Granularity!) {
  tenant {
    anomalies(metric: BOOKINGS, range: {from: $f, to: $t}, granularity: $g) { start value expected lower upper score }
  }
}
"""


async def _anomalies(url: str, start: date, end: date, granularity: str = "DAY") -> list[dict]:
    result = await execute(url, QUERY, {"f": str(start), "t": str(end), "g": granularity}, tenants=[TENANT],
                           tier=Tier.PROFESSIONAL)
    assert result.errors is None, result.errors
    return result.data["tenant"]["anomalies"]


async def test_injected_days_are_found_through_graphql(anomaly_store: str) -> None:
    # the range runs a month past the data: days without data yet are not "drops"
    found = await _anomalies(anomaly_store, date(2026, 4, 1), date(2026, 7, 31))
    by_day = {date.fromisoformat(a["start"]): a for a in found}
    assert {SPIKE, DROP} <= set(by_day), found
    assert by_day[SPIKE]["score"] > THRESHOLD and by_day[DROP]["score"] < -THRESHOLD
    assert len(by_day) <= 3 and max(by_day) <= LAST
    for a in found:
        assert a["lower"] <= a["expected"] <= a["upper"]
        assert not a["lower"] <= a["value"] <= a["upper"]
        assert (a["value"] > a["expected"]) == (a["score"] > 0)
        assert a["lower"] >= 0  # bookings cannot be negative, nor can the band


async def test_a_clean_stretch_through_graphql(anomaly_store: str) -> None:
    assert len(await _anomalies(anomaly_store, date(2026, 3, 1), date(2026, 4, 30))) <= 1


async def test_weekly_granularity_runs_on_short_history(anomaly_store: str) -> None:
    found = await _anomalies(anomaly_store, date(2026, 1, 1), date(2026, 6, 30), "WEEK")
    assert all(date.fromisoformat(a["start"]).weekday() == 0 for a in found)  # whole ISO weeks only
