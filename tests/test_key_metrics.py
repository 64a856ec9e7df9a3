"""KeyMetrics loads the sums of the fields a request selects once, Charts the charts it selects
(fragments included); a source or chart that fails still fails only the fields that read it, and
every field answers as alone."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.gql import execute
from tests.ingest_support import fill

T = "km-hotel"
RANGE = '{from: "2025-03-01", to: "2025-03-31"}'


def _rows(currencies: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {"pageviews": [], "bookings": [], "surveys": []}
    for n in range(6):
        rows["pageviews"].append({"tenant_id": T, "ts": datetime(2025, 3, 2 + n, 10), "visitor_id": f"v{n % 4}",
                                  "session_id": f"s{n}", "step": "landing", "channel": "direct", "device": "mobile",
                                  "country": "DE", "logged_in": False})
        rows["bookings"].append({"tenant_id": T, "booking_ref": f"r{n}", "booked_at": datetime(2025, 3, 2 + n, 12),
                                 "customer_id": f"c{n % 3}", "check_in": date(2025, 4, 1) + timedelta(days=n), "nights": 2,
                                 "rooms": 1, "amount": Decimal("99.90") + n, "currency": currencies[n % len(currencies)],
                                 "status": "confirmed", "channel": "direct"})
        rows["surveys"].append({"tenant_id": T, "ts": datetime(2025, 3, 2 + n, 18), "score": n + 4, "booking_ref": f"r{n}"})
    return rows


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = {}
    for name, currencies in {"eur": ("EUR",), "unrated": ("EUR", "SEK")}.items():  # no SEK rate in the store
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp(name)}/store.db"
        asyncio.run(fill(url, (T,), date(2025, 1, 1), _rows(currencies)))
        out[name] = url
    return out


def _ask(url: str, selection: str, fragments: str = "") -> Any:
    query = f'{{ tenant(id: "{T}") {{ metrics(range: {RANGE}) {{ {selection} }} }} }} {fragments}'
    return asyncio.run(execute(url, query, tenants=[T]))


FIELDS = ["uniqueVisitors", "sessions", "pageviews", "bookings", "cancellations", "roomNights", "revenue { amount currency }",
          "averageBookingValue { amount }", "conversionRate", "cancellationRate", "repeatBookingRate", "nps",
          "previousPeriod { bookings nps }"]


def test_every_field_answers_alone_as_in_the_whole_selection(stores: dict[str, str]) -> None:
    whole = _ask(stores["eur"], " ".join(FIELDS))
    assert not whole.errors
    metrics = whole.data["tenant"]["metrics"]
    assert metrics["uniqueVisitors"] == 4 and metrics["bookings"] == 6 and metrics["revenue"]["amount"] == "614.40"
    for field in FIELDS:
        alone = _ask(stores["eur"], field)
        key = field.split(" ")[0]
        assert not alone.errors and alone.data["tenant"]["metrics"] == {key: metrics[key]}, field


def test_fields_selected_through_fragments_are_loaded(stores: dict[str, str]) -> None:
    plain = _ask(stores["eur"], "uniqueVisitors nps revenue { amount }")
    spread = _ask(stores["eur"], "...Traffic ... on KeyMetrics { nps revenue { amount } }",
                  "fragment Traffic on KeyMetrics { uniqueVisitors }")
    assert not spread.errors and spread.data == plain.data


def test_a_failing_source_fails_only_the_fields_that_read_it(stores: dict[str, str]) -> None:
    """A booking currency without rates fails the booking sums (they are summed with the revenue):
    the fields reading them, not the traffic's or the surveys'."""
    answer = _ask(stores["unrated"], "uniqueVisitors bookings nps revenue { amount } conversionRate")
    # `bookings` is non-null: its error nulls the whole metrics object (the first error reported)
    assert [tuple(error.path) for error in answer.errors] == [("tenant", "metrics", "bookings")]
    assert answer.errors[0].extensions["code"] == "INTERNAL_SERVER_ERROR"
    assert answer.data["tenant"]["metrics"] is None
    nullable = _ask(stores["unrated"], "uniqueVisitors nps conversionRate")
    assert [tuple(error.path) for error in nullable.errors] == [("tenant", "metrics", "conversionRate")]
    assert nullable.data["tenant"]["metrics"]["conversionRate"] is None
    alone = _ask(stores["unrated"], "uniqueVisitors nps")
    assert not alone.errors and alone.data["tenant"]["metrics"]["uniqueVisitors"] == 4


def test_a_trend_of_counts_answers_beside_a_total_that_needs_a_missing_rate(stores: dict[str, str]) -> None:
    """Per-day sums with money are shared with counts-only series of the same range; when the
    money fails (no rate), the counts are summed again without it."""
    query = (f'{{ tenant(id: "{T}") {{ metrics(range: {RANGE}) {{ nps conversionRate }} '
             f'charts(range: {RANGE}) {{ rebookingTrend {{ start value }} revenueTrend {{ value }} }} }} }}')
    for name in ("eur", "unrated"):
        answer = asyncio.run(execute(stores[name], query, tenants=[T]))
        trend = answer.data["tenant"]["charts"] and answer.data["tenant"]["charts"]["rebookingTrend"]
        alone = asyncio.run(execute(stores[name], f'{{ tenant(id: "{T}") {{ charts(range: {RANGE}) '
                                                  f'{{ rebookingTrend {{ start value }} }} }} }}', tenants=[T]))
        assert not alone.errors and trend == alone.data["tenant"]["charts"]["rebookingTrend"], name
        paths = sorted(tuple(error.path) for error in answer.errors or [])
        if name == "unrated":
            assert paths == [("tenant", "charts", "revenueTrend"), ("tenant", "metrics", "conversionRate")]
        else:
            assert paths == []


def test_previous_periods_answer_as_their_own_ranges(stores: dict[str, str]) -> None:
    """previousPeriod's sums are loaded beside the range's; a nested one loads its own."""
    fields = "bookings uniqueVisitors revenue { amount } nps"

    def metrics(first: str, last: str, selection: str) -> Any:
        query = f'{{ tenant(id: "{T}") {{ metrics(range: {{from: "{first}", to: "{last}"}}) {{ {selection} }} }} }}'
        answer = asyncio.run(execute(stores["eur"], query, tenants=[T]))
        assert not answer.errors, answer.errors
        return answer.data["tenant"]["metrics"]

    april = metrics("2025-04-01", "2025-04-30", f"... on KeyMetrics {{ previousPeriod {{ {fields} "
                                                f"previousPeriod {{ {fields} }} }} }}")
    previous = april["previousPeriod"]
    assert previous["bookings"] == 6 and previous["nps"] is not None  # March 2-31 holds every row
    assert {**previous, "previousPeriod": None} == {**metrics("2025-03-02", "2025-03-31", fields), "previousPeriod": None}
    assert previous["previousPeriod"] == metrics("2025-01-31", "2025-03-01", fields)


CHARTS = ["visitorsByChannel { key value share }", "loginStatus { key value }", "bookingFunnel { step sessions }",
          "revenueTrend { start value currency }", "npsTrend { start value }", "rebookingTrend { start value }"]


def _charts(url: str, selection: str, fragments: str = "") -> Any:
    query = f'{{ tenant(id: "{T}") {{ charts(range: {RANGE}) {{ {selection} }} }} }} {fragments}'
    return asyncio.run(execute(url, query, tenants=[T]))


def test_every_chart_answers_alone_as_in_the_whole_selection(stores: dict[str, str]) -> None:
    whole = _charts(stores["eur"], " ".join(CHARTS))
    assert not whole.errors
    charts = whole.data["tenant"]["charts"]
    assert charts["loginStatus"] == [{"key": "logged_out", "value": 4.0}, {"key": "logged_in", "value": 0.0}]
    assert sum(point["value"] for point in charts["revenueTrend"]) == pytest.approx(614.40)
    for chart in CHARTS:
        alone = _charts(stores["eur"], chart)
        key = chart.split(" ")[0]
        assert not alone.errors and alone.data["tenant"]["charts"] == {key: charts[key]}, chart
    # through fragments, and twice under aliases: each prefetched chart answers every time it is asked
    spread = _charts(stores["eur"], "...Trends again: revenueTrend { start value currency } ... on Charts { npsTrend { start value } }",
                     "fragment Trends on Charts { revenueTrend { start value currency } }")
    assert not spread.errors
    assert spread.data["tenant"]["charts"] == {"revenueTrend": charts["revenueTrend"], "again": charts["revenueTrend"],
                                               "npsTrend": charts["npsTrend"]}


def test_a_failing_chart_fails_alone_every_time_it_is_asked(stores: dict[str, str]) -> None:
    answer = _charts(stores["unrated"], "visitorsByChannel { value } revenueTrend { value } again: revenueTrend { value }")
    assert sorted(tuple(error.path) for error in answer.errors) == [("tenant", "charts", "again"), ("tenant", "charts", "revenueTrend")]
    charts = answer.data["tenant"]["charts"]
    assert charts["revenueTrend"] is None and charts["again"] is None and charts["visitorsByChannel"] == [{"value": 4.0}]
