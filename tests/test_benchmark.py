"""Tenant.benchmark: exact percentiles over the right peers, k-anonymity, no peer ever exposed.

A small hand-shaped store (SQLite and MariaDB): a city_hotel segment with peers that differ
in what they have in the range, a resort segment with far larger numbers (must never leak
into city figures) and a two-tenant wedding_venue segment. Expected figures come from the
oracle (tests/oracle.py reads the raw rows back with plain SQL) and numpy's percentiles.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from sqlalchemy import event

from auth.principal import Principal
from core.vocabulary import PrincipalKind, Tier
from gateway.context import build_context
from gateway.database import create_engine
from gateway.settings import Settings
from resolvers import benchmark as benchmark_module
from schema.root import schema
from tests.conftest import BACKENDS
from tests.gql import execute
from tests.oracle import Oracle, read_raw
from tests.services import fresh_store

START, END = date(2026, 3, 1), date(2026, 4, 30)
ASKER = "bm-city-asker"
CITY = [ASKER] + [f"bm-city-p{i}" for i in range(1, 10)]
RESORT = [f"bm-resort-{i}" for i in range(1, 6)]
WEDDING = ["bm-wed-1", "bm-wed-2"]
# p7: bookings but no pageviews or surveys; p8: data only before the range; p9: only surveys
# in the range (no pageview or booking: not a peer, although it has an NPS there)
SHAPE = {t: {"views": True, "book": True, "surveys": True} for t in CITY + RESORT + WEDDING}
SHAPE["bm-city-p7"] = {"views": False, "book": True, "surveys": False}
SHAPE["bm-city-p9"] = {"views": False, "book": False, "surveys": True}
CURRENCY = {t: ("EUR", "CHF", "USD")[i % 3] for i, t in enumerate(CITY + RESORT + WEDDING)}
METRICS = ["BOOKINGS", "REVENUE", "AVERAGE_BOOKING_VALUE", "CONVERSION_RATE", "CANCELLATION_RATE",
           "REPEAT_BOOKING_RATE", "NPS", "UNIQUE_VISITORS", "ROOM_NIGHTS"]
QUERY = """
query($id: ID!, $m: Metric!, $f: Date!, $t: Date!) {
  tenant(id: $id) { benchmark(metric: $m, range: {from: $f, to: $t}) {
    metric value peerGroup peerCount percentile p25 median p75 } }
}
"""


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _rows() -> dict[str, list[dict]]:
    rng = random.Random(20260301)
    segment = {t: s for s, members in (("city_hotel", CITY), ("resort", RESORT), ("wedding_venue", WEDDING))
               for t in members}
    rows: dict[str, list[dict]] = {"tenants": [], "fx_rates": [], "pageviews": [], "bookings": [], "surveys": []}
    for t in CITY + RESORT + WEDDING:
        rows["tenants"].append({"id": t, "name": t, "segment": segment[t], "country": "DE", "currency": CURRENCY[t]})
    for day in _days(date(2025, 12, 1), date(2026, 6, 30))[::3]:
        rows["fx_rates"].append({"currency": "EUR", "day": day, "usd_per_unit": round(1.05 + rng.random() / 10, 8)})
        rows["fx_rates"].append({"currency": "CHF", "day": day, "usd_per_unit": round(1.10 + rng.random() / 10, 8)})
    for i, t in enumerate(CITY + RESORT + WEDDING):
        scale = 12 if t in RESORT else 1  # resorts dwarf the city hotels in every count
        first, last = (date(2026, 1, 5), date(2026, 2, 20)) if t == "bm-city-p8" else (START, END)
        days = _days(first, last)
        size = 2 if t == ASKER else 1 + i % 4  # the asker ties with a peer on bookings (see below)
        if SHAPE[t]["views"]:
            for v in range(scale * (20 + 15 * size + rng.randrange(20))):
                day = rng.choice(days)
                for p in range(1 + rng.randrange(3)):
                    rows["pageviews"].append({
                        "tenant_id": t, "ts": datetime.combine(day, time(8 + p, rng.randrange(60))),
                        "visitor_id": f"v{v}", "session_id": f"s{v}", "step": "landing", "channel": "direct",
                        "device": "mobile", "country": "DE", "logged_in": False,
                    })
        if SHAPE[t]["book"]:
            count = 8 if t in (ASKER, "bm-city-p1") else scale * (3 + 2 * size + rng.randrange(6))
            for b in range(count):
                customer = f"c{b // 2}" if b % 3 == 0 else f"c-{b}"  # some customers book twice
                rows["bookings"].append({
                    "tenant_id": t, "booking_ref": f"{t}-{b}", "customer_id": customer, "visitor_id": None,
                    "booked_at": datetime.combine(rng.choice(days), time(rng.randrange(24), rng.randrange(60))),
                    "check_in": END + timedelta(days=10), "nights": 1 + rng.randrange(4), "rooms": 1,
                    "amount": round(80 + rng.random() * 400, 2), "currency": CURRENCY[t],
                    "status": _status(t, b, rng), "channel": "direct",
                })
        if SHAPE[t]["surveys"]:
            for _ in range(5 + rng.randrange(10)):
                rows["surveys"].append({"tenant_id": t, "ts": datetime.combine(rng.choice(days), time(12)),
                                        "score": rng.randrange(11), "booking_ref": None})
    return rows


def _status(tenant: str, n: int, rng: random.Random) -> str:
    if tenant in (ASKER, "bm-city-p1"):  # 6 confirmed of 8 each: a tie on BOOKINGS
        return "cancelled" if n % 4 == 3 else "confirmed"
    return "cancelled" if rng.random() < 0.2 else "confirmed"


async def _load(url: str) -> None:
    from loaders import tables
    from loaders.bulk_insert import insert_rows
    from loaders.store import analyze, create_schema

    engine = create_engine(Settings(database_url=url))
    try:
        await create_schema(engine)
        for name, rows in _rows().items():
            await insert_rows(engine, getattr(tables, name), rows)
        await analyze(engine)  # fresh statistics after a bulk load
    finally:
        await engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_store(request.param, str(tmp_path_factory.mktemp("benchmark"))) as url:
        asyncio.run(_load(url))
        yield url


async def _oracle(url: str) -> tuple[Oracle, dict[str, Any]]:
    engine = create_engine(Settings(database_url=url))
    try:
        raw = await read_raw(engine, CITY + RESORT + WEDDING)
    finally:
        await engine.dispose()
    return Oracle(raw), raw


async def _benchmark(url: str, metric: str, tenant: str = ASKER, readable: list[str] | None = None,
                     tier: Tier = Tier.PROFESSIONAL, start: date = START, end: date = END, **settings: Any) -> Any:
    variables = {"id": tenant, "m": metric, "f": str(start), "t": str(end)}
    return await execute(url, QUERY, variables, tenants=readable or [tenant], tier=tier, **settings)


def _float(value: Any) -> float | None:
    return None if value is None else float(Fraction(value))


def _expected(oracle: Oracle, raw: dict[str, Any], metric: str, tenant: str) -> dict[str, Any]:
    """metrics.md, Benchmarks, from the raw rows: peers, percentile and interpolated quartiles."""
    segment = oracle.tenants[tenant]["segment"]
    currency = oracle.tenants[tenant]["currency"]
    lo, hi = datetime.combine(START, time()), datetime.combine(END + timedelta(days=1), time())
    values = []
    for other, row in oracle.tenants.items():
        if other == tenant or row["segment"] != segment:
            continue
        active = any(lo <= pv.ts < hi for pv in raw["pageviews"][other]) or any(
            lo <= bk.booked_at < hi for bk in raw["bookings"][other])
        value = _float(oracle.stats(other, START, END, currency)[metric])
        if active and value is not None:
            values.append(value)
    own = _float(oracle.stats(tenant, START, END, currency)[metric])
    lower = sum(v < own for v in values)
    equal = sum(v == own for v in values)
    p25, median, p75 = np.percentile(values, [25, 50, 75], method="linear")
    return {"metric": metric, "value": own, "peerGroup": segment, "peerCount": len(values),
            "percentile": 100 * (lower + 0.5 * equal) / len(values), "p25": p25, "median": median, "p75": p75}


@pytest.mark.parametrize("metric", METRICS)
async def test_percentiles_equal_an_independent_computation(store: str, metric: str) -> None:
    oracle, raw = await _oracle(store)
    expected = _expected(oracle, raw, metric, ASKER)
    result = await _benchmark(store, metric)
    assert result.errors is None, result.errors
    got = result.data["tenant"]["benchmark"]
    exact = ("metric", "peerGroup", "peerCount")
    assert {k: got[k] for k in exact} == {k: expected[k] for k in exact}
    for key in ("value", "percentile", "p25", "median", "p75"):
        assert got[key] == pytest.approx(expected[key], rel=1e-9, abs=1e-12), key
    # who counts: p8 (no data in range) never, p9 (surveys only) never, p7 (no visitors, no surveys)
    # only where its value is not null (counts are 0, never null)
    assert got["peerCount"] == {"CONVERSION_RATE": 6, "NPS": 6}.get(metric, 7)


async def test_a_tie_counts_half(store: str) -> None:
    """The asker and p1 both have 6 confirmed bookings: p1 counts as half a peer below."""
    got = (await _benchmark(store, "BOOKINGS")).data["tenant"]["benchmark"]
    oracle, _ = await _oracle(store)
    others = [oracle.stats(t, START, END)["BOOKINGS"] for t in CITY[1:8]]  # p1..p7, the active ones
    assert got["value"] == 6 == others[0]
    lower, equal = sum(v < 6 for v in others), sum(v == 6 for v in others)
    assert equal >= 1 and got["percentile"] == 100 * (lower + 0.5 * equal) / 7


async def test_too_few_peers_is_refused_the_same_way_whatever_the_count(store: str) -> None:
    city = await _benchmark(store, "BOOKINGS", benchmark_min_peers=8)  # 7 peers
    wedding = await _benchmark(store, "BOOKINGS", tenant="bm-wed-1", benchmark_min_peers=8)  # 1 peer
    for result in (city, wedding):
        assert result.data == {"tenant": {"benchmark": None}}
        (error,) = result.errors
        assert error.extensions == {"code": "INSUFFICIENT_PEERS", "minimumPeers": 8}
    assert city.errors[0].message == wedding.errors[0].message
    # the default k (5) refuses the two-tenant segment; k = 7 still answers the 7 city peers
    assert (await _benchmark(store, "BOOKINGS", tenant="bm-wed-2")).errors[0].extensions["code"] == "INSUFFICIENT_PEERS"
    assert (await _benchmark(store, "BOOKINGS", benchmark_min_peers=7)).errors is None
    conversion = await _benchmark(store, "CONVERSION_RATE", benchmark_min_peers=7)  # 6 peers
    assert conversion.errors[0].extensions["code"] == "INSUFFICIENT_PEERS"


async def test_peers_the_caller_can_read_do_not_count_towards_k(store: str) -> None:
    readable = [ASKER, "bm-city-p1", "bm-city-p2"]
    assert (await _benchmark(store, "BOOKINGS", readable=readable, tier=Tier.ENTERPRISE)).errors is None  # 5 unknown
    refused = await _benchmark(store, "BOOKINGS", readable=readable, tier=Tier.ENTERPRISE, benchmark_min_peers=6)
    assert refused.errors[0].extensions["code"] == "INSUFFICIENT_PEERS"
    assert (await _benchmark(store, "BOOKINGS", benchmark_min_peers=6)).errors is None  # all 7 unknown to the caller


async def test_other_segments_never_count(store: str) -> None:
    city = (await _benchmark(store, "BOOKINGS")).data["tenant"]["benchmark"]
    oracle, _ = await _oracle(store)
    smallest_resort = min(_float(oracle.stats(t, START, END)["BOOKINGS"]) for t in RESORT)
    assert city["peerGroup"] == "city_hotel" and city["p75"] < smallest_resort
    resort = await _benchmark(store, "BOOKINGS", tenant="bm-resort-1", benchmark_min_peers=4)
    assert resort.errors is None
    assert resort.data["tenant"]["benchmark"]["peerCount"] == 4
    assert resort.data["tenant"]["benchmark"]["p25"] >= smallest_resort


@pytest.mark.parametrize("metric", ["BOOKINGS", "NPS"])
async def test_no_peer_id_in_any_answer(store: str, metric: str) -> None:
    answers = [await _benchmark(store, metric), await _benchmark(store, metric, benchmark_min_peers=9),
               await _benchmark(store, metric, tenant="bm-wed-1")]
    text = json.dumps([{"data": r.data, "errors": [e.formatted for e in r.errors or []]} for r in answers])
    for other in CITY[1:] + RESORT + WEDDING[1:]:
        assert other not in text
    assert "bm-city-p" not in text and "bm-resort" not in text


async def test_own_value_without_denominator_is_refused(store: str) -> None:
    result = await _benchmark(store, "NPS", tenant="bm-city-p7")  # no surveys at all
    (error,) = result.errors
    assert error.extensions == {"code": "BAD_USER_INPUT", "argument": "range"}


@pytest.mark.parametrize(
    ("start", "end"), [(date(2026, 3, 2), END), (START, date(2026, 4, 29)), (date(2026, 3, 15), date(2026, 4, 14))]
)
async def test_ranges_must_be_whole_calendar_months(store: str, start: date, end: date) -> None:
    (error,) = (await _benchmark(store, "BOOKINGS", start=start, end=end)).errors
    assert error.extensions == {"code": "BAD_USER_INPUT", "argument": "range"}


async def test_ranges_must_have_ended(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(benchmark_module, "utc_today", lambda: date(2026, 4, 15))
    (error,) = (await _benchmark(store, "BOOKINGS")).errors  # April is still running
    assert error.extensions == {"code": "BAD_USER_INPUT", "argument": "range"}
    march = await _benchmark(store, "BOOKINGS", end=date(2026, 3, 31))
    assert march.errors is None


async def _statements(url: str, tenant: str, metric: str, min_peers: int) -> int:
    settings = Settings(database_url=url, benchmark_min_peers=min_peers)
    engine = create_engine(settings)
    seen: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    try:
        principal = Principal(PrincipalKind.USER, "bench", Tier.PROFESSIONAL, (tenant,))
        context = build_context(engine=engine, settings=settings, principal=principal)
        variables = {"id": tenant, "m": metric, "f": str(START), "t": str(END)}
        result = await schema.execute(QUERY, variable_values=variables, context_value=context)
        assert result.errors is None, result.errors
        return len(seen)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(("metric", "statements"), [("BOOKINGS", 5), ("CONVERSION_RATE", 6)])
async def test_one_batched_pass_for_all_peers(store: str, metric: str, statements: int) -> None:
    """tenant, fx rates, segment members, who is active, then one statement per source for every
    peer at once (bookings; plus traffic for conversion, from the rollups, which retention keeps,
    so no cutoff is read): the same for 4 peers as for 7. fx rates are loaded only for the currencies
    involved: none for a USD tenant (bm-resort-2) whose metric converts no money."""
    assert await _statements(store, ASKER, metric, 5) == statements
    assert CURRENCY["bm-resort-2"] == "USD"
    assert await _statements(store, "bm-resort-2", metric, 4) == statements - 1
