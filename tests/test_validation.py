"""Bad arguments give BAD_USER_INPUT naming the argument; nothing runs half-way."""

from __future__ import annotations

import pytest

from tests.gql import execute, tenant_ids

METRICS = """query($id: ID!, $from: Date!, $to: Date!, $currency: String) { tenant(id: $id) {
  metrics(range: {from: $from, to: $to}, currency: $currency) { revenue { amount } } } }"""
BREAKDOWN = """query($id: ID!, $from: Date!, $to: Date!, $metric: Metric!, $by: Dimension!) { tenant(id: $id) {
  breakdown(metric: $metric, by: $by, range: {from: $from, to: $to}) { key value } } }"""
RANGE = {"from": "2026-01-01", "to": "2026-01-31"}


async def _errors(url: str, query: str, **overrides: object) -> list[dict[str, object]]:
    ids = await tenant_ids(url)
    defaults = {**RANGE, "currency": None} if query is METRICS else RANGE
    result = await execute(url, query, {**defaults, "id": ids[0], **overrides}, tenants=ids, max_range_days=400)
    return [error.formatted for error in result.errors or []]


async def test_valid_request_has_no_errors(sqlite_demo_url: str) -> None:
    assert await _errors(sqlite_demo_url, METRICS) == []


@pytest.mark.parametrize(
    ("overrides", "argument"),
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "range"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "range"),  # over max_range_days
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "1$"}, "currency"),
    ],
)
async def test_bad_range_or_currency(sqlite_demo_url: str, overrides: dict[str, object], argument: str) -> None:
    errors = await _errors(sqlite_demo_url, METRICS, **overrides)
    assert len(errors) == 1
    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


@pytest.mark.parametrize("bad", ["2026-02-30", "2026-13-01", "20260101", "2026-W01-1", "yesterday", ""])
async def test_bad_dates(sqlite_demo_url: str, bad: str) -> None:
    errors = await _errors(sqlite_demo_url, METRICS, **{"from": bad})
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "from" in errors[0]["message"]


@pytest.mark.parametrize(
    ("metric", "by"),
    [("NPS", "CHANNEL"), ("NPS", "DEVICE"), ("BOOKINGS", "DEVICE"), ("REVENUE", "COUNTRY"),
     ("CONVERSION_RATE", "LOGIN_STATUS"), ("CANCELLATIONS", "LOGIN_STATUS")],
)
async def test_meaningless_breakdowns(sqlite_demo_url: str, metric: str, by: str) -> None:
    errors = await _errors(sqlite_demo_url, BREAKDOWN, metric=metric, by=by)
    assert [e["extensions"] for e in errors] == [{"code": "BAD_USER_INPUT", "argument": "by"}]


@pytest.mark.parametrize(
    ("metric", "by"), [("SESSIONS", "DEVICE"), ("REVENUE", "CHANNEL"), ("CONVERSION_RATE", "CHANNEL")]
)
async def test_meaningful_breakdowns(sqlite_demo_url: str, metric: str, by: str) -> None:
    assert await _errors(sqlite_demo_url, BREAKDOWN, metric=metric, by=by) == []


async def test_unknown_currency_never_converts_at_one(sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    query = """query($id: ID!) { tenant(id: $id) {
      metrics(range: {from: "2026-01-01", to: "2026-01-31"}, currency: "XYZ") { revenue { amount } } } }"""
    result = await execute(sqlite_demo_url, query, {"id": ids[0]}, tenants=ids)
    assert result.data == {"tenant": {"metrics": None}}
    assert "XYZ" in result.errors[0].message


@pytest.mark.parametrize("document", ["{", "{ tenant(id: ) { id } }", "{ nope }", "query { tenant { metrics { sessions } } }"])
async def test_unparsable_or_invalid_documents(sqlite_demo_url: str, document: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    result = await execute(sqlite_demo_url, document, tenants=ids)
    assert result.errors and all(e.extensions["code"] == "BAD_USER_INPUT" for e in result.errors)
