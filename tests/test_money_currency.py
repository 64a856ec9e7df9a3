"""Money values say their currency; a portfolio's charts use the one requested, for every tenant."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from loaders.facts import BookingDay, Rate
from resolvers.money import FxTable, revenue, round_sum
from tests.gql import execute, tenant_ids

RANGE = '{from: "2025-10-01", to: "2026-02-10"}'
PORTFOLIO = f"""
query($ids: [ID!]) {{
  tenants(ids: $ids) {{
    id currency
    metrics(range: {RANGE}, currency: "EUR") {{ revenue {{ amount currency }} }}
    charts(range: {RANGE}, currency: "EUR") {{
      currency
      revenueTrend {{ start value currency }}
      npsTrend {{ value currency }}
      visitorsByChannel {{ value currency }}
    }}
    own: charts(range: {RANGE}) {{ currency revenueTrend {{ value currency }} }}
    series(metric: REVENUE, range: {RANGE}, granularity: MONTH, currency: "EUR") {{ start value currency }}
  }}
}}
"""


async def test_portfolio_charts_use_the_requested_currency_and_say_so(sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    result = await execute(sqlite_demo_url, PORTFOLIO, {"ids": ids}, tenants=ids)
    assert result.errors is None, result.errors
    tenants = result.data["tenants"]
    assert len({t["currency"] for t in tenants}) >= 3, "the demo mixes CHF, EUR and GBP tenants"
    for tenant in tenants:
        charts, own = tenant["charts"], tenant["own"]
        assert charts["currency"] == "EUR"
        assert {p["currency"] for p in charts["revenueTrend"]} == {"EUR"}
        # the trend is the monthly EUR series, and adds up to the EUR revenue of the range
        assert [(p["start"], p["value"]) for p in charts["revenueTrend"]] == [(p["start"], p["value"]) for p in tenant["series"]]
        assert {p["currency"] for p in tenant["series"]} == {"EUR"}
        total = sum(Decimal(str(p["value"])) for p in charts["revenueTrend"])
        revenue = tenant["metrics"]["revenue"]
        assert revenue["currency"] == "EUR"
        assert abs(total - Decimal(revenue["amount"])) <= Decimal("0.01") * len(charts["revenueTrend"])
        # counts and scores carry no currency
        assert {p["currency"] for p in charts["npsTrend"] + charts["visitorsByChannel"]} == {None}
        # without `currency`, the tenant's own, said as such
        assert own["currency"] == tenant["currency"]
        assert {p["currency"] for p in own["revenueTrend"]} == {tenant["currency"]}
        if tenant["currency"] != "EUR":
            assert [p["value"] for p in own["revenueTrend"]] != [p["value"] for p in charts["revenueTrend"]]


async def test_series_and_breakdown_name_the_currency_of_money_metrics_only(sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    query = f"""{{ tenant {{
      currency
      revenue: series(metric: REVENUE, range: {RANGE}, granularity: MONTH, currency: "usd") {{ currency }}
      abv: breakdown(metric: AVERAGE_BOOKING_VALUE, by: CHANNEL, range: {RANGE}) {{ currency }}
      sessions: series(metric: SESSIONS, range: {RANGE}, granularity: MONTH) {{ currency }}
      rate: breakdown(metric: CONVERSION_RATE, by: CHANNEL, range: {RANGE}, currency: "EUR") {{ currency }}
    }} }}"""
    result = await execute(sqlite_demo_url, query, tenants=ids[:1])
    assert result.errors is None, result.errors
    tenant = result.data["tenant"]
    assert {p["currency"] for p in tenant["revenue"]} == {"USD"}
    assert {r["currency"] for r in tenant["abv"]} == {tenant["currency"]}
    assert {p["currency"] for p in tenant["sessions"]} == {None}
    assert {r["currency"] for r in tenant["rate"]} == {None}


async def _field(url: str, tenant_id: str, selection: str) -> dict | None:
    result = await execute(url, f"{{ tenant {{ {selection} }} }}", tenants=[tenant_id], benchmark_min_peers=3)
    if result.errors:
        assert [e.extensions["code"] for e in result.errors] == ["INSUFFICIENT_PEERS"], result.errors
        return None
    return result.data["tenant"]


async def test_intelligence_names_the_currency_of_money(sqlite_demo_url: str) -> None:
    tenant_id = (await tenant_ids(sqlite_demo_url))[0]
    own = (await _field(sqlite_demo_url, tenant_id, "currency"))["currency"]
    forecast = (await _field(sqlite_demo_url, tenant_id, 'forecast(metric: REVENUE, horizon: 2, granularity: MONTH, '
                             'currency: "USD") { currency points { currency } }'))["forecast"]
    assert forecast["currency"] == "USD" and {p["currency"] for p in forecast["points"]} == {"USD"}
    sessions = (await _field(sqlite_demo_url, tenant_id, "forecast(metric: SESSIONS, horizon: 2) { currency }"))["forecast"]
    assert sessions["currency"] is None
    anomalies = (await _field(sqlite_demo_url, tenant_id, f"anomalies(metric: REVENUE, range: {RANGE}) {{ currency }}"))
    assert {a["currency"] for a in anomalies["anomalies"]} <= {own}
    for metric, expected in (("REVENUE", own), ("SESSIONS", None)):
        months = '{from: "2025-10-01", to: "2026-01-31"}'  # benchmarks compare whole months
        found = await _field(sqlite_demo_url, tenant_id, f"benchmark(metric: {metric}, range: {months}) {{ currency }}")
        if found is not None:  # too few peers in the small demo is an error, not a currency
            assert found["benchmark"]["currency"] == expected


def _exact_revenue(rows: list[BookingDay], target: str, fx: FxTable) -> Decimal:
    """The definition, term by term in Fractions, rounded once half to even."""
    total = sum((Fraction(r.amount) * fx.usd_per_unit(r.currency, r.day) / fx.usd_per_unit(target, r.day)
                 for r in rows), Fraction(0))
    return Decimal(round(total * 100)).scaleb(-2)


def test_revenue_equals_the_exact_fraction_sum_including_half_cent_ties() -> None:
    """revenue() adds daily quotients as wide decimals with an error bound; whatever the input,
    including sums that land exactly on a half cent, it equals the exact Fraction sum's rounding."""
    import random

    rng = random.Random(7)
    start = date(2025, 1, 1)
    days = [start + timedelta(days=i) for i in range(400)]
    rates = {code: [Rate(d, Decimal(rng.randrange(50_000_000, 200_000_000)).scaleb(-8)) for d in days]
             for code in ("EUR", "CHF", "GBP")}
    fx = FxTable(rates)
    for trial in range(40):
        rows = [BookingDay(rng.choice(days), rng.choice(["EUR", "CHF", "GBP", "USD"]), None, 1, 0, 1,
                           Decimal(rng.randrange(-5_000, 900_000)).scaleb(-2), 0)
                for _ in range(rng.choice([1, 5, 300, 700]))]
        for target in ("CHF", "USD"):
            assert revenue(rows, target, fx) == _exact_revenue(rows, target, fx), (trial, target)
    # exact half cents: 1 USD is 0.5 CHF, so 0.01 / 0.03 / 0.05 USD are 0.5 / 1.5 / 2.5 CHF cents
    tie = FxTable({"CHF": [Rate(start, Decimal("2"))]})
    for amount, want in (("0.01", "0.00"), ("0.03", "0.02"), ("0.05", "0.02")):
        rows = [BookingDay(start, "USD", None, 1, 0, 1, Decimal(amount), 0)]
        assert revenue(rows, "CHF", tie) == _exact_revenue(rows, "CHF", tie) == Decimal(want)
    halves = FxTable({"CHF": [Rate(start, Decimal("4"))]})  # 0.01 USD = 0.0025 CHF: a quarter cent
    for n, want in ((2, "0.00"), (6, "0.02"), (10, "0.02")):  # 0.5 -> 0, 1.5 -> 2, 2.5 -> 2 cents
        rows = [BookingDay(start + timedelta(days=i), "USD", None, 1, 0, 1, Decimal("0.01"), 0) for i in range(n)]
        assert revenue(rows, "CHF", halves) == _exact_revenue(rows, "CHF", halves) == Decimal(want)


def test_rates_of_more_decimals_than_the_store_holds_still_convert_exactly() -> None:
    """The integer path holds 8 rate decimals (the store's scale); a rate with more (from a
    caller outside the store) takes the Fraction path, with the same exact rounding."""
    start = date(2025, 1, 1)
    fx = FxTable({"CHF": [Rate(start, Decimal("1.123456789013"))], "EUR": [Rate(start, Decimal("1.07"))]})
    rows = [BookingDay(start + timedelta(days=i), code, None, 1, 0, 1, Decimal(f"{i * 37 + 1}.{i:02d}"), 0)
            for i in range(30) for code in ("CHF", "EUR", "USD")]
    for target in ("CHF", "EUR", "USD"):
        assert revenue(rows, target, fx) == _exact_revenue(rows, target, fx)


def test_round_sum_equals_rounding_the_exact_fraction_sum() -> None:
    """Integer quotients floored at 1e-30 cent, with the Fraction sum deciding near a half cent:
    random sums, exact half cents (both parities) and sums just either side of one."""
    import random

    rng = random.Random(5)
    cases: list[tuple[int, list[tuple[int, int]]]] = []
    for _ in range(3000):
        quotients = [(rng.randint(-10**18, 10**20), rng.randint(1, 3 * 10**8)) for _ in range(rng.randint(1, 40))]
        cases.append((rng.randint(-10**6, 10**9), quotients))
    for base in (12344, 12345):  # x.5 cents rounds to the even neighbour
        cases.append((base, [(1, 2)]))
        cases.append((base, [(3 * 10**8, 6 * 10**8)]))
        cases.append((base, [(10**30 - 1, 2 * 10**30)]))  # a hair below the half
        cases.append((base, [(10**30 + 1, 2 * 10**30)]))  # a hair above
        cases.append((base, [(1, 3), (1, 6)]))  # a half only once both are added
    for cents, quotients in cases:
        exact = Fraction(cents) + sum((Fraction(n, d) for n, d in quotients), Fraction(0))
        assert round_sum(cents, quotients) == Decimal(round(exact)).scaleb(-2), (cents, quotients)
