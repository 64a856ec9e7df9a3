"""Tenant.forecast through GraphQL on the demo store: history window, limits, tiers, caching."""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import signal
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from core.vocabulary import Tier
from gateway.database import create_engine
from gateway.settings import Settings
from loaders.tables import bookings, tenants
from resolvers import forecast as forecast_module
from resolvers.forecaster import FitPool
from tests.conftest import make_token
from tests.gql import FORECASTER, execute, tenant_ids
from tests.oracle import Oracle, period_end, period_start, periods, read_raw

ONE_DAY = timedelta(days=1)
QUERY = """
query($m: Metric!, $h: Int!, $g: Granularity!, $c: String) {
  tenant {
    dataRange { from to }
    forecast(metric: $m, horizon: $h, granularity: $g, currency: $c) {
      metric granularity model historyPoints
      points { start value lower80 upper80 lower95 upper95 }
      backtest { holdoutPoints mape smape mase baselineModel baselineSmape baselineMase coverage80 coverage95 }
    }
  }
}
"""
# Error cases ask for the forecast alone: with a sibling field whose SQL is in flight when the
# forecast fails, graphql-core cancels that query, and SQLAlchemy's graceful close of the
# cancelled aiosqlite connection never finishes, hanging the test's event loop at teardown.
FORECAST_ONLY = """
query($m: Metric!, $h: Int!, $g: Granularity!, $c: String) {
  tenant { forecast(metric: $m, horizon: $h, granularity: $g, currency: $c) { model points { start } } }
}
"""
SERIES = """
query($m: Metric!, $g: Granularity!, $f: Date!, $t: Date!) {
  tenant { series(metric: $m, granularity: $g, range: {from: $f, to: $t}) { start value } }
}
"""


async def _forecast(url: str, tid: str, metric: str, horizon: int, granularity: str, currency: str | None = None,
                    tier: Tier = Tier.PROFESSIONAL, document: str = QUERY) -> Any:
    variables = {"m": metric, "h": horizon, "g": granularity, "c": currency}
    return await execute(url, document, variables, tenants=[tid], tier=tier)


def _whole_periods(first: date, end: date, granularity: str) -> list[tuple[date, date]]:
    """metrics.md: a period counts when its last day is on or before the end day."""
    return [
        (s, e) for s, e in periods(first, end, granularity)
        if period_end(period_start(s, granularity), granularity) <= end
    ]


def _smape(actual: list[float], forecast: list[float]) -> float:
    terms = (0 if a == f == 0 else 2 * abs(f - a) / (abs(a) + abs(f)) for a, f in zip(actual, forecast))
    return 100 / len(actual) * sum(terms)


@pytest.mark.parametrize(
    ("metric", "granularity", "currency", "horizon"),
    [("BOOKINGS", "DAY", None, 14), ("REVENUE", "WEEK", "USD", 6), ("PAGEVIEWS", "MONTH", None, 3)],
)
async def test_forecast_on_the_demo_store(demo_store_url: str, metric: str, granularity: str, currency: str | None,
                                          horizon: int) -> None:
    tid = (await tenant_ids(demo_store_url))[0]
    result = await _forecast(demo_store_url, tid, metric, horizon, granularity, currency)
    assert result.errors is None, result.errors
    tenant = result.data["tenant"]
    forecast = tenant["forecast"]
    first, last = date.fromisoformat(tenant["dataRange"]["from"]), date.fromisoformat(tenant["dataRange"]["to"])
    end = min(datetime.now(UTC).date() - ONE_DAY, last)
    whole = _whole_periods(first, end, granularity)
    assert (forecast["metric"], forecast["granularity"]) == (metric, granularity)
    assert forecast["historyPoints"] == len(whole)
    starts = [date.fromisoformat(p["start"]) for p in forecast["points"]]
    assert len(starts) == horizon
    assert starts[0] == whole[-1][1] + ONE_DAY == period_start(starts[0], granularity)
    assert all(period_end(a, granularity) + ONE_DAY == b for a, b in zip(starts, starts[1:]))
    for p in forecast["points"]:
        assert 0 <= p["lower95"] <= p["lower80"] <= p["value"] <= p["upper80"] <= p["upper95"]

    # the backtest's baseline, recomputed from metrics.md over the oracle's own series
    engine = create_engine(Settings(database_url=demo_store_url))
    try:
        oracle = Oracle(await read_raw(engine, [tid]))
    finally:
        await engine.dispose()
    values = [float(Fraction(v)) for _, v in oracle.series(tid, metric, first, whole[-1][1], granularity, currency)]
    m = {"DAY": 7, "WEEK": 52 if len(values) >= 106 else 1, "MONTH": 12}[granularity]
    backtest = forecast["backtest"]
    if len(values) <= m + 1:
        assert backtest is None and forecast["model"] == "naive"
        return
    h = backtest["holdoutPoints"]
    assert h >= min(m, len(values) - m - 1)
    training, actual = values[:-h], values[-h:]
    if len(training) < 2 * m or m == 1:
        baseline, name = [training[-1]] * h, "naive"
    else:
        t = len(training)
        baseline, name = [training[t + k - m * math.ceil(k / m) - 1] for k in range(1, h + 1)], "seasonal_naive"
    assert backtest["baselineModel"] == name
    assert backtest["baselineSmape"] == pytest.approx(_smape(actual, baseline), rel=1e-9)
    scale = sum(abs(training[t] - training[t - m]) for t in range(m, len(training))) / (len(training) - m)
    base_mase = sum(abs(b - a) for a, b in zip(actual, baseline)) / h / scale
    assert backtest["baselineMase"] == pytest.approx(base_mase, rel=1e-9)
    if name == ("seasonal_naive" if m > 1 else "naive"):  # the baseline is visible: never served worse
        assert backtest["mase"] <= max(1.0, backtest["baselineMase"]) * (1 + 1e-9)
    assert (backtest["mape"] is None) == any(a == 0 for a in actual)
    assert 0 <= backtest["smape"] <= 200 and backtest["mase"] >= 0
    # percents of h held-out points (a value-less ratio period would not count; these have values)
    for share in (backtest["coverage80"], backtest["coverage95"]):
        assert 0 <= share <= 100 and (share * h / 100) == pytest.approx(round(share * h / 100))
    assert backtest["coverage80"] <= backtest["coverage95"]  # the 95 % band contains the 80 % one


@pytest.mark.parametrize(("metric", "granularity"), [("UNIQUE_VISITORS", "DAY"), ("NPS", "WEEK"), ("REVENUE", "MONTH")])
async def test_history_is_exactly_the_series(sqlite_demo_url: str, monkeypatch: pytest.MonkeyPatch, metric: str,
                                             granularity: str) -> None:
    """The fit receives the values `series` returns for the history window, nulls included."""
    seen: list[list[float | None]] = []
    real = FORECASTER.run

    async def spy(fn: Any, values: list[float | None], *args: Any) -> Any:
        seen.append(list(values))
        return await real(fn, values, *args)

    monkeypatch.setattr(FORECASTER, "run", spy)
    await FORECASTER.clear()
    tid = (await tenant_ids(sqlite_demo_url))[0]
    result = await _forecast(sqlite_demo_url, tid, metric, 2, granularity)
    assert result.errors is None, result.errors
    data_range = result.data["tenant"]["dataRange"]
    first, last = date.fromisoformat(data_range["from"]), date.fromisoformat(data_range["to"])
    whole = _whole_periods(first, min(datetime.now(UTC).date() - ONE_DAY, last), granularity)
    series = await execute(
        sqlite_demo_url, SERIES, {"m": metric, "g": granularity, "f": str(first), "t": str(whole[-1][1])},
        tenants=[tid], tier=Tier.PROFESSIONAL,
    )
    assert seen == [[p["value"] for p in series.data["tenant"]["series"]]]


@pytest.mark.parametrize(
    ("granularity", "first_point", "history"),
    # demo data from 2025-09-14; "today" 2026-01-20 makes 2026-01-19 (a Monday) the end day
    [("DAY", "2026-01-20", 128), ("WEEK", "2026-01-19", 19), ("MONTH", "2026-01-01", 4)],
)
async def test_history_ends_yesterday_in_whole_periods(sqlite_demo_url: str, monkeypatch: pytest.MonkeyPatch,
                                                       granularity: str, first_point: str, history: int) -> None:
    monkeypatch.setattr(forecast_module, "utc_today", lambda: date(2026, 1, 20))
    tid = (await tenant_ids(sqlite_demo_url))[0]
    result = await _forecast(sqlite_demo_url, tid, "SESSIONS", 2, granularity)
    assert result.errors is None, result.errors
    assert result.data["tenant"]["dataRange"]["from"] == "2025-09-14"
    forecast = result.data["tenant"]["forecast"]
    assert forecast["points"][0]["start"] == first_point
    assert forecast["historyPoints"] == history


@pytest.mark.parametrize("field", ["forecast", "anomalies", "benchmark"])
async def test_free_tier_is_refused_naming_professional(sqlite_demo_url: str, field: str) -> None:
    arguments = {
        "forecast": "(metric: BOOKINGS, horizon: 3)",
        "anomalies": '(metric: BOOKINGS, range: {from: "2026-01-01", to: "2026-01-31"})',
        "benchmark": '(metric: BOOKINGS, range: {from: "2026-01-01", to: "2026-01-31"})',
    }[field]
    selection = {"forecast": "{ model }", "anomalies": "{ start }", "benchmark": "{ percentile }"}[field]
    tid = (await tenant_ids(sqlite_demo_url))[0]
    document = f"{{ tenant {{ {field}{arguments} {selection} }} }}"
    result = await execute(sqlite_demo_url, document, tenants=[tid], tier=Tier.FREE)
    assert result.data == {"tenant": {field: None}}
    (error,) = result.errors
    assert error.extensions["code"] == "FORBIDDEN"
    assert error.extensions["requiredTier"] == "PROFESSIONAL" and "PROFESSIONAL" in error.message


@pytest.mark.parametrize(
    ("granularity", "limit"), [("DAY", 90), ("WEEK", 26), ("MONTH", 24), ("QUARTER", 8), ("YEAR", 3)]
)
async def test_horizon_limits(sqlite_demo_url: str, granularity: str, limit: int) -> None:
    tid = (await tenant_ids(sqlite_demo_url))[0]
    for horizon in (0, -1, limit + 1):
        result = await _forecast(sqlite_demo_url, tid, "PAGEVIEWS", horizon, granularity, document=FORECAST_ONLY)
        (error,) = result.errors
        assert error.extensions == {"code": "BAD_USER_INPUT", "argument": "horizon"}, (horizon, error)
        assert str(limit) in error.message
    if granularity in ("QUARTER", "YEAR"):  # the longest allowed horizon is answered in full
        result = await _forecast(sqlite_demo_url, tid, "PAGEVIEWS", limit, granularity, document=FORECAST_ONLY)
        assert result.errors is None and len(result.data["tenant"]["forecast"]["points"]) == limit


async def test_a_repeated_forecast_reuses_the_fit(sqlite_demo_url: str) -> None:
    await FORECASTER.clear()
    stats = FORECASTER.stats
    tid = (await tenant_ids(sqlite_demo_url))[0]
    before = stats.snapshot()
    first = await _forecast(sqlite_demo_url, tid, "BOOKINGS", 10, "DAY")
    assert stats.fits == before["fits"] + 1
    again = await _forecast(sqlite_demo_url, tid, "BOOKINGS", 10, "DAY", currency="USD")  # currency: not money
    assert stats.fits == before["fits"] + 1 and stats.hits == before["hits"] + 1
    assert again.data == first.data
    # models are compared at the requested horizon: another horizon is another fit
    shorter = await _forecast(sqlite_demo_url, tid, "BOOKINGS", 4, "DAY")
    assert stats.fits == before["fits"] + 2 and len(shorter.data["tenant"]["forecast"]["points"]) == 4
    # money depends on the currency: a separate fit per currency
    await _forecast(sqlite_demo_url, tid, "REVENUE", 3, "DAY", currency="USD")
    await _forecast(sqlite_demo_url, tid, "REVENUE", 3, "DAY", currency="EUR")
    assert stats.fits == before["fits"] + 4


async def test_identical_concurrent_forecasts_share_one_fit(sqlite_demo_url: str) -> None:
    await FORECASTER.clear()
    stats = FORECASTER.stats
    tid = (await tenant_ids(sqlite_demo_url))[0]
    before = stats.snapshot()
    a, b = await asyncio.gather(*(_forecast(sqlite_demo_url, tid, "SESSIONS", 5, "DAY") for _ in range(2)))
    assert a.data == b.data and a.errors is None
    assert stats.fits == before["fits"] + 1
    assert stats.shared + stats.hits == before["shared"] + before["hits"] + 1


async def test_new_data_invalidates_the_fit_and_a_tenant_without_data_has_no_model(
    sqlite_demo_url: str, tmp_path: Path
) -> None:
    source = sqlite_demo_url.split("///", 1)[1]
    shutil.copy(source, tmp_path / "copy.db")
    url = f"sqlite+aiosqlite:///{tmp_path / 'copy.db'}"
    tid = (await tenant_ids(url))[0]
    stats = FORECASTER.stats
    await _forecast(url, tid, "BOOKINGS", 3, "WEEK")
    fits = stats.fits
    await _forecast(url, tid, "BOOKINGS", 3, "WEEK")
    assert stats.fits == fits  # reused
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(bookings).values(
                tenant_id=tid, booking_ref="late-arrival", booked_at=datetime(2025, 12, 3, 10), customer_id="c-late",
                check_in=date(2026, 1, 5), nights=2, rooms=1, amount=250, currency="EUR", status="confirmed",
                channel="direct",
            ))
            await conn.execute(insert(tenants).values(id="t99-empty", name="Empty", segment="resort", country="IT",
                                                      currency="EUR"))
    finally:
        await engine.dispose()
    changed = await _forecast(url, tid, "BOOKINGS", 3, "WEEK")
    assert changed.errors is None and stats.fits == fits + 1
    empty = await _forecast(url, "t99-empty", "BOOKINGS", 3, "WEEK")
    assert empty.errors is None
    assert empty.data["tenant"]["forecast"] == {
        "metric": "BOOKINGS", "granularity": "WEEK", "model": "none", "historyPoints": 0, "points": [],
        "backtest": None,
    }


async def test_a_killed_worker_is_replaced() -> None:
    """A worker that dies (OOM killer, signal) breaks the pool; the next fit gets a new one."""
    pool = FitPool(workers=1)
    try:
        first = await pool.run(os.getpid)
        os.kill(first, signal.SIGKILL)  # our own child process
        second = await pool.run(os.getpid)
        assert second != first and second != os.getpid()  # a new worker process, not a thread
    finally:
        await pool.close()


async def test_over_http_with_tokens(client, sqlite_demo_url: str) -> None:  # type: ignore[no-untyped-def]
    """The real app: a PROFESSIONAL bearer token gets the forecast, a FREE one FORBIDDEN."""
    tid = (await tenant_ids(sqlite_demo_url))[0]
    body = {"query": FORECAST_ONLY, "variables": {"m": "PAGEVIEWS", "h": 3, "g": "WEEK"}}
    answers = {}
    for tier in ("PROFESSIONAL", "FREE"):
        headers = {"Authorization": f"Bearer {make_token([tid], tier=tier)}"}
        response = await client.post("/graphql", json=body, headers=headers)
        answers[tier] = (response.status, await response.json())
    status, payload = answers["PROFESSIONAL"]
    assert status == 200 and "errors" not in payload
    assert len(payload["data"]["tenant"]["forecast"]["points"]) == 3
    status, payload = answers["FREE"]
    (error,) = payload["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and "PROFESSIONAL" in error["message"]
