"""The oracle suite: every number the gateway returns equals metrics.md, recomputed independently.

The data set (tests/datagen.py) is loaded once per backend per session; the
expected values come from tests/oracle.py, which reads the raw rows back with
plain SQL and computes in exact arithmetic. Each test runs its GraphQL queries
in its own event loop with its own engine, batching many tenants / fields per
query with aliases.

Comparison rules:
* counts exactly; money amounts as the exact Decimal string ("1234.50"), series
  and breakdown money values exact to the cent; other floats to 1e-9 relative;
* series: every period, in order, with its clipped start;
* breakdowns: the rows with a non-zero, non-null value exactly and in order
  (value descending, then key); rows with value 0 / null may follow them
  (metrics.md does not say whether empty dimension values are listed);
* funnel: all five steps exactly.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from tests import datagen
from tests.oracle import (
    COUNT_METRICS,
    DIMENSIONS,
    GRANULARITIES,
    KEY_FIELDS,
    METRICS,
    MONEY_METRICS,
    Oracle,
    dimension_applies,
    periods,
    read_raw,
)
from tests.services import fresh_store

BACKENDS = ["sqlite", "mariadb"]
DATA = datagen.generate()
D = date
ACTIVE_TENANTS = [t for t in datagen.TENANT_IDS if datagen.ACTIVE[t]]
THIRD_CURRENCIES = ["GBP", "CHF", "SEK"]
CASES_PER_QUERY = 4
COMPARISONS: dict[str, int] = defaultdict(int)

KM_FIELDS = (
    "uniqueVisitors sessions pageviews bookings cancellations roomNights "
    "revenue { amount currency } averageBookingValue { amount currency } "
    "conversionRate cancellationRate repeatBookingRate nps"
)
ROW = "{ key value share }"
POINT = "{ start value }"
STEP = "{ step sessions conversionFromPrevious }"


# --------------------------------------------------------------------------- the loaded store


@dataclass
class Store:
    backend: str
    url: str
    oracle: Oracle
    raw: dict[str, Any]


async def _read(url: str) -> dict[str, Any]:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        return await read_raw(engine, datagen.TENANT_IDS)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    backend = request.param
    with fresh_store(backend, str(tmp_path_factory.mktemp(f"oracle-{backend}"))) as url:
        asyncio.run(datagen.load(url, DATA))
        raw = asyncio.run(_read(url))
        yield Store(backend, url, Oracle(raw), raw)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"[oracle] {backend}: {COMPARISONS[backend]} value comparisons against the oracle")


# --------------------------------------------------------------------------- running queries


def execute_all(url: str, queries: list[str]) -> list[Any]:
    """Run the queries in a fresh event loop with one engine, a fresh context per query."""
    from auth.principal import Principal, PrincipalKind
    from auth.tiers import Tier
    from gateway.context import build_context
    from gateway.database import create_engine
    from gateway.settings import Settings
    from schema.root import build_schema

    # the oracle batches hundreds of aliased fields into one document: a trusted caller,
    # so the document-shape limits that guard the public endpoint are off here
    schema = build_schema(limits=None)

    async def run() -> list[Any]:
        settings = Settings(database_url=url)
        engine = create_engine(settings)
        principal = Principal(
            kind=PrincipalKind.USER, subject="oracle", tier=Tier.ENTERPRISE, tenant_ids=tuple(datagen.TENANT_IDS)
        )
        try:
            results = []
            for query in queries:
                ctx = build_context(engine=engine, settings=settings, principal=principal)
                results.append(await schema.execute(query, context_value=ctx))
            return results
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _rng(start: date, end: date) -> str:
    return f'range: {{from: "{start.isoformat()}", to: "{end.isoformat()}"}}'


def _cur(currency: str | None) -> str:
    return "" if currency is None else f', currency: "{currency}"'


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    tenant: str
    start: date
    end: date
    currencies: list[str | None]  # for metrics: None = the tenant default
    money_currency: str | None  # for series / breakdown / charts

    def label(self) -> str:
        return f"{self.tenant} {self.start}..{self.end}"


def build_cases() -> list[Case]:
    rng = random.Random(8675309)
    targets: list[tuple[str, date, date]] = [
        # hand-made ties (USD tenant): 1.115 -> 1.12, 1.125 -> 1.12, average 0.125 -> 0.12
        ("orc-city-usd", D(2025, 4, 16), D(2025, 4, 16)),
        ("orc-city-usd", D(2025, 4, 17), D(2025, 4, 17)),
        ("orc-city-usd", D(2025, 4, 18), D(2025, 4, 18)),
        ("orc-city-usd", D(2025, 4, 14), D(2025, 4, 20)),
        # repeat-booking edge cases
        ("orc-city-eur", D(2025, 5, 5), D(2025, 5, 5)),
        ("orc-city-eur", D(2025, 5, 20), D(2025, 5, 20)),
        ("orc-city-eur", D(2025, 6, 10), D(2025, 6, 20)),
        ("orc-city-eur", D(2025, 11, 1), D(2025, 11, 30)),
        # SEK bookings before the first SEK rate
        ("orc-city-gbp", D(2024, 12, 31), D(2025, 1, 1)),
        # every NPS score on one day
        ("orc-resort-chf", D(2025, 3, 3), D(2025, 3, 3)),
        # no data in the range (but in the previous period), before a tenant's data, a tenant without data
        ("orc-resort-sek", D(2025, 9, 1), D(2025, 10, 31)),
        ("orc-resort-sek", D(2025, 3, 21), D(2025, 5, 31)),
        ("orc-resort-chf", D(2024, 10, 1), D(2024, 12, 31)),
        ("orc-resort-empty", D(2024, 9, 1), D(2026, 1, 31)),
        ("orc-resort-empty", D(2025, 4, 1), D(2025, 4, 30)),
    ]
    generic = [
        (D(2024, 10, 1), D(2024, 10, 1)),  # first data day
        (D(2024, 9, 30), D(2024, 9, 30)),  # the day before any data
        (D(2025, 12, 31), D(2025, 12, 31)),  # last data day (sessions spill into 2026-01-01)
        (D(2024, 12, 30), D(2025, 1, 5)),  # ISO week 1 of 2025, across the year boundary
        (D(2024, 12, 28), D(2025, 1, 3)),  # 7 days across the year boundary, two partial ISO weeks
        (D(2025, 2, 1), D(2025, 2, 28)),  # a month
        (D(2024, 12, 1), D(2025, 1, 31)),  # two months across the year boundary
        (D(2025, 1, 1), D(2025, 3, 31)),  # a quarter
        (D(2025, 4, 15), D(2025, 7, 14)),  # three clipped quarters / months
        (D(2025, 1, 1), D(2025, 12, 31)),  # a year
        (D(2024, 9, 1), D(2026, 1, 31)),  # > 1 year, empty ends
        (D(2024, 10, 1), D(2025, 12, 31)),  # all the data
        (D(2023, 1, 1), D(2023, 1, 31)),  # long before any data
        (D(2026, 3, 1), D(2026, 3, 31)),  # after all data
    ]
    for start, end in generic:
        for tenant in rng.sample(ACTIVE_TENANTS, 2):
            targets.append((tenant, start, end))
    for _ in range(12):
        length = rng.choice([1, 1, 3, 7, 7, 14, 31, 45, 92, 200, 400])
        start = D(2024, 9, 20) + timedelta(days=rng.randrange(480))
        targets.append((rng.choice(ACTIVE_TENANTS), start, start + timedelta(days=length - 1)))
    cases = []
    for tenant, start, end in targets:
        default = next(t["currency"] for t in datagen.TENANTS if t["id"] == tenant)
        third = rng.choice([c for c in THIRD_CURRENCIES if c != default])
        currencies: list[str | None] = [None, "USD", "EUR", third]
        cases.append(Case(tenant, start, end, currencies, rng.choice(currencies)))
    return cases


CASES = build_cases()
BATCHES = [CASES[i : i + CASES_PER_QUERY] for i in range(0, len(CASES), CASES_PER_QUERY)]


def case_query(cases: list[Case]) -> str:
    parts = []
    for i, case in enumerate(cases):
        r = _rng(case.start, case.end)
        mc = _cur(case.money_currency)
        fields = []
        for j, cur in enumerate(case.currencies):
            fields.append(f"m{j}: metrics({r}{_cur(cur)}) {{ {KM_FIELDS} previousPeriod {{ {KM_FIELDS} }} }}")
        for metric in METRICS:
            for gran in GRANULARITIES:
                fields.append(f"s_{metric}_{gran}: series(metric: {metric}, {r}, granularity: {gran}{mc}) {POINT}")
        for metric in METRICS:
            for dim in DIMENSIONS:
                if dimension_applies(metric, dim):
                    fields.append(f"b_{metric}_{dim}: breakdown(metric: {metric}, by: {dim}, {r}{mc}) {ROW}")
        fields.append(
            f"charts({r}{mc}) {{ visitorsByChannel {ROW} loginStatus {ROW} bookingFunnel {STEP} "
            f"revenueTrend {POINT} npsTrend {POINT} rebookingTrend {POINT} }}"
        )
        fields.append(f"funnel({r}) {STEP}")
        parts.append(f't{i}: tenant(id: "{case.tenant}") {{ id\n' + "\n".join(fields) + "\n}")
    return "{\n" + "\n".join(parts) + "\n}"


# --------------------------------------------------------------------------- comparing


@dataclass
class Checker:
    backend: str
    problems: list[str] = field(default_factory=list)
    count: int = 0

    def fail(self, path: str, got: Any, expected: Any, why: str = "") -> None:
        self.problems.append(f"{path}: got {got!r}, expected {expected!r}{' (' + why + ')' if why else ''}")

    def value(self, path: str, metric: str, got: Any, expected: Any) -> None:
        """A Float value of `metric` (series point / breakdown row) against the oracle's exact value."""
        self.count += 1
        if expected is None:
            if got is not None:
                self.fail(path, got, None)
            return
        if got is None:
            self.fail(path, got, expected)
        elif metric in COUNT_METRICS:
            if got != expected:
                self.fail(path, got, expected)
        elif metric in MONEY_METRICS:
            if not isinstance(got, (int, float)) or Decimal(repr(got)) != expected:
                self.fail(path, got, str(expected), "money must be exact to the cent")
        else:
            self.ratio(path, got, expected, counted=True)

    def ratio(self, path: str, got: Any, expected: Fraction | None, counted: bool = False) -> None:
        if not counted:
            self.count += 1
        if expected is None:
            if got is not None:
                self.fail(path, got, None)
        elif got is None or not math.isclose(got, float(expected), rel_tol=1e-9, abs_tol=1e-12):
            self.fail(path, got, float(expected))

    def exact(self, path: str, got: Any, expected: Any) -> None:
        self.count += 1
        if got != expected:
            self.fail(path, got, expected)

    def money(self, path: str, got: Any, expected: Decimal | None, currency: str) -> None:
        self.count += 1
        if expected is None:
            if got is not None:
                self.fail(path, got, None)
            return
        want = {"amount": str(expected), "currency": currency}
        if got != want:
            self.fail(path, got, want)

    def key_metrics(self, path: str, got: dict | None, expected: dict) -> None:
        if got is None:
            self.fail(path, None, "KeyMetrics")
            return
        for name, metric in KEY_FIELDS.items():
            p = f"{path}.{name}"
            if metric in MONEY_METRICS:
                self.money(p, got.get(name), expected[metric], expected["currency"])
            elif metric in COUNT_METRICS:
                self.exact(p, got.get(name), expected[metric])
            else:
                self.ratio(p, got.get(name), expected[metric])

    def series(self, path: str, metric: str, got: list | None, expected: list) -> None:
        self.count += 1
        if got is None or len(got) != len(expected):
            self.fail(path, None if got is None else f"{len(got)} points", f"{len(expected)} points")
            return
        for point, (start, value) in zip(got, expected):
            p = f"{path}[{start}]"
            self.exact(p + ".start", point["start"], start.isoformat())
            self.value(p + ".value", metric, point["value"], value)

    def breakdown(self, path: str, metric: str, got: list | None, expected: list, valid_keys: set[str] | None = None) -> None:
        self.count += 1
        if got is None:
            self.fail(path, None, expected)
            return
        keys = [row["key"] for row in got]
        if len(set(keys)) != len(keys):
            self.fail(path, keys, "distinct keys")
        head, tail = got[: len(expected)], got[len(expected) :]
        if [r["key"] for r in head] != [k for k, _, _ in expected]:
            self.fail(path + " (keys, largest first)", [(r["key"], r["value"]) for r in got],
                      [(k, str(v) if isinstance(v, Decimal) else float(v)) for k, v, _ in expected])
            return
        for row, (key, value, share) in zip(head, expected):
            self.value(f"{path}[{key}].value", metric, row["value"], value)
            self.ratio(f"{path}[{key}].share", row["share"], share)
        # rows with an empty value (0 or null) may follow, zeros before nulls
        seen_null = False
        for row in tail:
            self.count += 1
            empty = row["value"] is None or row["value"] == 0
            if not empty:
                self.fail(f"{path}[{row['key']}]", row, "no further non-empty row")
            if row["share"] not in (None, 0):
                self.fail(f"{path}[{row['key']}].share", row["share"], "0 or null")
            if row["value"] is None:
                seen_null = True
            elif seen_null:
                self.fail(f"{path}[{row['key']}]", row, "null values last")
            if valid_keys is not None and row["key"] not in valid_keys:
                self.fail(f"{path}[{row['key']}]", row["key"], f"one of {sorted(valid_keys)}")

    def funnel(self, path: str, got: list | None, expected: list) -> None:
        self.count += 1
        if got is None or len(got) != len(expected):
            self.fail(path, got, expected)
            return
        for row, (step, sessions, conv) in zip(got, expected):
            self.exact(f"{path}[{step}].step", row["step"], step)
            self.exact(f"{path}[{step}].sessions", row["sessions"], sessions)
            self.ratio(f"{path}[{step}].conversionFromPrevious", row["conversionFromPrevious"], conv)

    def finish(self, title: str) -> None:
        COMPARISONS[self.backend] += self.count
        if self.problems:
            shown = "\n  ".join(self.problems[:40])
            more = f"\n  ... and {len(self.problems) - 40} more" if len(self.problems) > 40 else ""
            pytest.fail(f"{title}: {len(self.problems)} mismatches of {self.count} comparisons:\n  {shown}{more}")


def dimension_keys(dim: str) -> set[str] | None:
    return {
        "CHANNEL": set(datagen.CHANNELS),
        "DEVICE": set(datagen.DEVICES),
        "LOGIN_STATUS": {"logged_in", "logged_out"},
        "COUNTRY": set(datagen.COUNTRIES) | {"unknown"},
    }.get(dim)  # UTM values: any string


def check_case(checker: Checker, oracle: Oracle, case: Case, got: dict) -> None:
    tid, s, e = case.tenant, case.start, case.end
    base = case.label()
    for j, cur in enumerate(case.currencies):
        expected = oracle.key_metrics(tid, s, e, cur)
        checker.key_metrics(f"{base} metrics(currency={cur})", got[f"m{j}"], expected)
        prev = got[f"m{j}"]["previousPeriod"] if got[f"m{j}"] else None
        checker.key_metrics(f"{base} metrics(currency={cur}).previousPeriod", prev, expected["previousPeriod"])
    mc = case.money_currency
    for metric in METRICS:
        for gran in GRANULARITIES:
            checker.series(
                f"{base} series({metric}, {gran}, currency={mc})",
                metric,
                got[f"s_{metric}_{gran}"],
                oracle.series(tid, metric, s, e, gran, mc),
            )
    for metric in METRICS:
        for dim in DIMENSIONS:
            if dimension_applies(metric, dim):
                checker.breakdown(
                    f"{base} breakdown({metric}, {dim}, currency={mc})",
                    metric,
                    got[f"b_{metric}_{dim}"],
                    oracle.breakdown(tid, metric, dim, s, e, mc),
                    dimension_keys(dim),
                )
    charts, want = got["charts"], oracle.charts(tid, s, e, mc)
    checker.breakdown(f"{base} charts.visitorsByChannel", "UNIQUE_VISITORS", charts["visitorsByChannel"],
                      want["visitorsByChannel"], dimension_keys("CHANNEL"))
    checker.breakdown(f"{base} charts.loginStatus", "UNIQUE_VISITORS", charts["loginStatus"], want["loginStatus"],
                      {"logged_in", "logged_out"})
    checker.funnel(f"{base} charts.bookingFunnel", charts["bookingFunnel"], want["bookingFunnel"])
    checker.series(f"{base} charts.revenueTrend", "REVENUE", charts["revenueTrend"], want["revenueTrend"])
    checker.series(f"{base} charts.npsTrend", "NPS", charts["npsTrend"], want["npsTrend"])
    checker.series(f"{base} charts.rebookingTrend", "REPEAT_BOOKING_RATE", charts["rebookingTrend"], want["rebookingTrend"])
    checker.funnel(f"{base} funnel", got["funnel"], oracle.funnel(tid, s, e))


# --------------------------------------------------------------------------- the tests


def test_oracle_self_checks(store: Store) -> None:
    """The oracle and the data set on their own (no gateway): read-back, hand-made cases, invariants."""
    o, raw = store.oracle, store.raw
    assert sum(map(len, raw["pageviews"].values())) == len(DATA.pageviews)
    assert sum(map(len, raw["bookings"].values())) == len(DATA.bookings)
    assert sum(map(len, raw["surveys"].values())) == len(DATA.surveys)
    stored = sorted((b.booking_ref, t, b.amount, b.currency, b.booked_at) for t, rows in raw["bookings"].items() for b in rows)
    assert stored == sorted((b["booking_ref"], b["tenant_id"], b["amount"], b["currency"], b["booked_at"]) for b in DATA.bookings)
    assert sorted((r["currency"], r["day"], r["usd_per_unit"]) for r in raw["fx_rates"]) == sorted(
        (r["currency"], r["day"], r["usd_per_unit"]) for r in DATA.fx_rates
    )
    # conversion rule on hand-made cases
    first_sek = min(r["day"] for r in DATA.fx_rates if r["currency"] == "SEK")
    assert o.rate("SEK", D(2024, 11, 20)) == o.rate("SEK", first_sek)  # earliest after
    assert o.rate("EUR", D(2025, 4, 17)) == Fraction("1.125")
    eur_days = sorted(r["day"] for r in DATA.fx_rates if r["currency"] == "EUR")
    assert D(2025, 4, 19) not in eur_days and o.rate("EUR", D(2025, 4, 19)) == o.rate("EUR", D(2025, 4, 18))
    chf_before_gap = max(d for d in (r["day"] for r in DATA.fx_rates if r["currency"] == "CHF") if d < datagen.CHF_GAP[0])
    assert o.rate("CHF", D(2025, 2, 10)) == o.rate("CHF", chf_before_gap)  # latest on or before
    assert o.rate("USD", D(2020, 1, 1)) == 1
    assert o.convert(Decimal("10.00"), "EUR", D(2025, 4, 17), "USD") == Fraction("11.25")
    assert o.convert(Decimal("10.00"), "USD", D(2025, 4, 17), "EUR") == Fraction(10) / Fraction("1.125")
    # ties, rounded half-even once
    usd = "orc-city-usd"
    assert str(o.key_metrics(usd, D(2025, 4, 16), D(2025, 4, 16))["REVENUE"]) == "1.12"
    assert str(o.key_metrics(usd, D(2025, 4, 17), D(2025, 4, 17))["REVENUE"]) == "1.12"
    abv_day = o.key_metrics(usd, D(2025, 4, 18), D(2025, 4, 18))
    assert (str(abv_day["REVENUE"]), str(abv_day["AVERAGE_BOOKING_VALUE"])) == ("0.25", "0.12")
    assert abv_day["CANCELLATION_RATE"] == Fraction(1, 3)
    # repeat bookings
    eur = "orc-city-eur"
    twin = [b for b in o.bookings(eur, D(2025, 5, 5), D(2025, 5, 5)) if b.customer_id == "c-twin"]
    assert len(twin) == 2 and not any(o._is_repeat(eur, b) for b in twin)
    cxl = {b.booking_ref: o._is_repeat(eur, b) for b in o.bookings(eur, D(2025, 6, 1), D(2025, 6, 30)) if b.customer_id == "c-cxl"}
    assert cxl == {"CXL1": False, "CXL2": False, "CXL3": True}
    assert [o._is_repeat(eur, b) for b in o.bookings(eur, D(2025, 11, 11), D(2025, 11, 11)) if b.customer_id == "c-old"] == [True]
    assert o.key_metrics("orc-resort-chf", D(2025, 3, 3), D(2025, 3, 3))["NPS"] is not None
    # invariants on the whole data set
    for tid in datagen.TENANT_IDS:
        total = o.stats(tid, datagen.START, datagen.END)
        steps = o.funnel(tid, datagen.START, datagen.END)
        assert all(a[1] >= b[1] for a, b in zip(steps, steps[1:])), steps
        assert sum(v for _, v, _ in o.login_status(tid, datagen.START, datagen.END)) == total["UNIQUE_VISITORS"]
        for metric in ("PAGEVIEWS", "BOOKINGS", "CANCELLATIONS", "ROOM_NIGHTS"):
            for gran in GRANULARITIES:
                assert sum(v for _, v in o.series(tid, metric, datagen.START, datagen.END, gran)) == total[metric]
        pv_rows = o.breakdown(tid, "PAGEVIEWS", "COUNTRY", datagen.START, datagen.END)
        assert sum(v for _, v, _ in pv_rows) == total["PAGEVIEWS"]
        assert sum(s for _, _, s in pv_rows) in (0, 1)
    assert [p[0] for p in periods(D(2024, 12, 28), D(2025, 1, 3), "WEEK")] == [D(2024, 12, 28), D(2024, 12, 30)]
    assert periods(D(2025, 2, 15), D(2025, 5, 2), "QUARTER") == [(D(2025, 2, 15), D(2025, 3, 31)), (D(2025, 4, 1), D(2025, 5, 2))]


@pytest.mark.parametrize("batch", range(len(BATCHES)), ids=lambda i: f"batch{i}")
def test_gateway_equals_oracle(store: Store, batch: int) -> None:
    cases = BATCHES[batch]
    [result] = execute_all(store.url, [case_query(cases)])
    assert not result.errors, [
        (e.message, e.path, (e.extensions or {}).get("code")) for e in result.errors[:10]
    ]
    checker = Checker(store.backend)
    for i, case in enumerate(cases):
        got = result.data[f"t{i}"]
        checker.exact(f"{case.label()} id", got["id"], case.tenant)
        check_case(checker, store.oracle, case, got)
    checker.finish(f"{store.backend} batch {batch}")


def _codes(result: Any) -> list[str | None]:
    return [(e.extensions or {}).get("code") for e in (result.errors or [])]


def test_invalid_pairings_are_bad_user_input(store: Store) -> None:
    rng = random.Random(7)
    pairs = [(m, d) for m in METRICS for d in DIMENSIONS if not dimension_applies(m, d)]
    assert ("NPS", "DEVICE") in pairs and ("BOOKINGS", "DEVICE") in pairs and ("NPS", "CHANNEL") in pairs
    queries = []
    for metric, dim in pairs:
        tid = rng.choice(datagen.TENANT_IDS)
        queries.append(
            f'{{ tenant(id: "{tid}") {{ breakdown(metric: {metric}, by: {dim}, '
            f'range: {{from: "2025-01-01", to: "2025-03-31"}}) {ROW} }} }}'
        )
    checker = Checker(store.backend)
    for (metric, dim), result in zip(pairs, execute_all(store.url, queries)):
        checker.count += 1
        codes = _codes(result)
        if not codes or any(code != "BAD_USER_INPUT" for code in codes):
            checker.fail(f"breakdown({metric}, {dim})", [(e.message, c) for e, c in zip(result.errors or [], codes)]
                         or result.data, "an error with code BAD_USER_INPUT")
    checker.finish(f"{store.backend} invalid pairings")


def test_unknown_currency_is_bad_user_input(store: Store) -> None:
    fields = {
        "metrics": "metrics({r}, currency: \"XYZ\") { revenue { amount currency } }",
        "series REVENUE": "series(metric: REVENUE, {r}, granularity: MONTH, currency: \"XYZ\") { start value }",
        "series AVERAGE_BOOKING_VALUE": "series(metric: AVERAGE_BOOKING_VALUE, {r}, currency: \"XYZ\") { start value }",
        "breakdown REVENUE CHANNEL": "breakdown(metric: REVENUE, by: CHANNEL, {r}, currency: \"XYZ\") { key value share }",
        "charts": "charts({r}, currency: \"XYZ\") { revenueTrend { start value } }",
    }
    ranges = {
        "with data": _rng(D(2025, 1, 1), D(2025, 3, 31)),
        "without data": _rng(D(2023, 1, 1), D(2023, 1, 31)),
    }
    labels, queries = [], []
    for tid in ("orc-city-eur", "orc-city-usd"):
        for range_label, r in ranges.items():
            for label, template in fields.items():
                labels.append(f"{tid} {label} ({range_label})")
                queries.append(f'{{ tenant(id: "{tid}") {{ {template.replace("{r}", r)} }} }}')
    checker = Checker(store.backend)
    for label, result in zip(labels, execute_all(store.url, queries)):
        checker.count += 1
        codes = _codes(result)
        if not codes or any(code != "BAD_USER_INPUT" for code in codes):
            checker.fail(label, [(e.message, c) for e, c in zip(result.errors or [], codes)] or result.data,
                         "an error with code BAD_USER_INPUT")
    checker.finish(f"{store.backend} unknown currency")


# --------------------------------------------------------------------------- segments, attribution, retention


def test_segments_attribution_retention_equal_oracle(store: Store) -> None:
    from tests import segment_checks

    queries = [segment_checks.query(t, s, e) for t, s, e in segment_checks.RANGES]
    checker = Checker(store.backend)
    for (tenant, start, end), result in zip(segment_checks.RANGES, execute_all(store.url, queries)):
        assert not result.errors, [(e.message, e.path) for e in result.errors[:5]]
        count, problems = segment_checks.check(store.oracle, tenant, start, end, result.data["tenant"])
        checker.count += count
        checker.problems += problems
    checker.finish(f"{store.backend} funnelBy / attribution / retention")


def test_attribution_edges_and_ties(store: Store) -> None:
    """The hand-made touches of datagen._attribution_edges, read by the oracle and the gateway."""
    o = store.oracle
    day = datagen.ATTRIBUTION_BOOKED_AT.date()
    for model, want in (("FIRST_TOUCH", "edge-first"), ("LAST_TOUCH", "edge-last")):
        rows = o.attribution("orc-city-eur", model, "UTM_CAMPAIGN", day, day, 30)
        assert rows[want][0] == 1 and rows["(none)"][0] >= 1, rows
        assert not {"too-early", "too-late", "stale", "edge-first-tie", "edge-last-tie"} & set(rows)
    r = _rng(day, day)
    fields = " ".join(
        f'{m}{n}: attribution(model: {m}, by: UTM_CAMPAIGN, {r}, lookbackDays: {n}) {{ key bookings }}'
        for m in ("FIRST_TOUCH", "LAST_TOUCH") for n in (0, 29, 30, 31)
    )
    [result] = execute_all(store.url, [f'{{ tenant(id: "orc-city-eur") {{ {fields} }} }}'])
    assert not result.errors
    keys = {name: {row["key"] for row in rows} for name, rows in result.data["tenant"].items()}
    assert "edge-first" in keys["FIRST_TOUCH30"] and "edge-first" not in keys["FIRST_TOUCH29"]
    assert "stale" in keys["FIRST_TOUCH31"] and "stale" not in keys["FIRST_TOUCH30"]
    assert "middle" in keys["FIRST_TOUCH29"] and "too-early" in keys["FIRST_TOUCH31"]
    # two views at booked_at itself: the lowest id is the first touch, the highest the last
    assert "edge-last-tie" in keys["FIRST_TOUCH0"] and "edge-last" in keys["LAST_TOUCH0"]
    assert all("edge-last" in keys[f"LAST_TOUCH{n}"] for n in (0, 29, 30, 31))
    assert not {"too-late", "edge-first-tie"} & set().union(*keys.values())


def test_bad_lookback_is_bad_user_input(store: Store) -> None:
    r = _rng(D(2025, 1, 1), D(2025, 1, 31))
    queries = [
        f'{{ tenant(id: "orc-city-eur") {{ attribution(by: CHANNEL, {r}, lookbackDays: {n}) {{ key }} }} }}'
        for n in (-1, 731, 2_000_000_000)
    ]
    for result in execute_all(store.url, queries):
        assert _codes(result) == ["BAD_USER_INPUT"], result.errors
        assert result.data == {"tenant": {"attribution": None}}
