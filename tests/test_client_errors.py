"""Every client mistake is BAD_USER_INPUT with the same message however it was written; no
message reveals a name the caller did not send (introspection off) or echoes a huge value."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from auth.limits import RateLimits
from auth.query_limits import QueryLimits
from auth.tiers import default_tiers
from schema.root import build_schema
from tests.gql import execute, tenant_ids

METRICS = '{ tenant { metrics(range: {from: %s, to: "2026-01-31"}) { sessions } } }'
METRICS_VAR = 'query($from: Date!) { tenant { metrics(range: {from: $from, to: "2026-01-31"}) { sessions } } }'


@pytest.mark.parametrize("bad", ['"2026-02-30"', '"01/10/2026"', '"2026-01-01T00:00:00Z"', "20260101", '"2026-13-01"',
                                 '"yesterday"', "true", "1.5"])
async def test_a_bad_date_is_bad_user_input_inline_and_as_a_variable(
    sqlite_demo_url: str, bad: str, caplog: pytest.LogCaptureFixture
) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    with caplog.at_level(logging.WARNING):
        inline = await execute(sqlite_demo_url, METRICS % bad, tenants=ids[:1])
        variable = await execute(sqlite_demo_url, METRICS_VAR, {"from": eval(bad.replace("true", "True"))},  # noqa: S307
                                 tenants=ids[:1])
    for result in (inline, variable):
        assert [e.extensions["code"] for e in result.errors] == ["BAD_USER_INPUT"]
    assert inline.errors[0].message in variable.errors[0].message, "the same words, however it was written"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a client mistake is not logged as a fault"


RANGE_END = '{from: "9999-12-01", to: "9999-12-31"}'
NEAR_THE_EDGE = {
    "series by day": f"series(metric: SESSIONS, range: {RANGE_END}) {{ value }}",
    "series by year": f"series(metric: SESSIONS, range: {RANGE_END}, granularity: YEAR) {{ value }}",
    "charts": f"charts(range: {RANGE_END}) {{ revenueTrend {{ value }} npsTrend {{ value }} }}",
    "anomalies": f"anomalies(metric: SESSIONS, range: {RANGE_END}, granularity: MONTH) {{ score }}",
    "metrics at year 1": 'metrics(range: {from: "0001-01-01", to: "0001-01-31"}) { previousPeriod { sessions } }',
    "funnel": f"funnel(range: {RANGE_END}) {{ step }}",
}


@pytest.mark.parametrize("field", NEAR_THE_EDGE)
async def test_ranges_near_the_calendar_edges_are_bad_user_input(sqlite_demo_url: str, field: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    result = await execute(sqlite_demo_url, f"{{ tenant {{ {NEAR_THE_EDGE[field]} }} }}", tenants=ids[:1],
                           limits=RateLimits(default_tiers()))  # the cost analysis runs too
    assert [(e.extensions, e.path) for e in result.errors] == [
        ({"code": "BAD_USER_INPUT", "argument": "range"}, ["tenant", NEAR_THE_EDGE[field].split("(")[0]])
    ]


async def test_several_operations_need_an_operation_name(sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    document = "query A { viewer { subject } } query B { viewer { tier } }"
    refused = await execute(sqlite_demo_url, document, tenants=ids[:1])
    assert refused.data is None
    assert [e.extensions["code"] for e in refused.errors] == ["BAD_USER_INPUT"]
    assert "operationName" in refused.errors[0].message
    chosen = await build_schema().execute(document, operation_name="B", context_value=None)
    # with a name, B is chosen and gets as far as asking for a credential
    assert chosen.errors and chosen.errors[0].extensions["code"] == "UNAUTHENTICATED"
    assert "operationName" not in chosen.errors[0].message


# typos of every kind of name: fields, arguments, enum values (inline and as variables), input
# fields, types (in variables and fragments), missing arguments and input fields, and
# selections missing on object fields
TYPOS: list[tuple[str, dict[str, Any] | None]] = [
    ("{ viewr { subject } }", None),
    ("{ viewer { subjec } }", None),
    ("{ tenant(idd: \"x\") { id } }", None),
    ('{ tenant { series(metric: SESION, range: {from: "2026-01-01", to: "2026-01-02"}) { value } } }', None),
    ('query($m: Metric!) { tenant { series(metric: $m, range: {from: "2026-01-01", to: "2026-01-02"}) { value } } }',
     {"m": "SESION"}),
    ('{ tenant { metrics(range: {from: "2026-01-01", too: "2026-01-02"}) { sessions } } }', None),
    ('{ tenant { metrics(range: {from: "2026-01-01"}) { sessions } } }', None),
    ("{ tenant { metrics { sessions } } }", None),
    ("query($r: DateRang!) { tenant { metrics(range: $r) { sessions } } }", {"r": {}}),
    ("query($r: DateRange!) { tenant { metrics(range: $r) { sessions } } }", {"r": {"from": "2026-01-01"}}),
    ("{ tenant { ...F } } fragment F on Tenat { id }", None),
    ("{ tenant }", None),
    ("{ tenant { metrics(range: 5) { sessions } } }", None),
    ("query($r: String) { tenant { metrics(range: $r) { sessions } } }", None),
    ('{ tenant { charts(range: {from: "2026-01-01", to: "2026-01-02"}) { npsTrnd { value } } } }', None),
]
NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
# what a message names: graphql-core quotes names ('DateRange.to', 'Metric!'); our own use backticks
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")


@pytest.mark.parametrize(("document", "variables"), TYPOS)
async def test_without_introspection_no_message_names_what_was_not_sent(
    document: str, variables: dict[str, Any] | None
) -> None:
    closed = build_schema(QueryLimits(introspection=False))
    result = await closed.execute(document, variable_values=variables)
    assert result.errors
    sent = set(NAME.findall(document + repr(variables)))
    named = {name for error in result.errors for quoted in QUOTED.findall(error.message) for name in NAME.findall(quoted)}
    revealed = named & closed.hidden - sent
    assert revealed == set(), [e.message for e in result.errors]
    assert all("Did you mean" not in e.message for e in result.errors)
    opened = await build_schema(QueryLimits()).execute(document, variable_values=variables)
    assert [e.extensions["code"] for e in opened.errors] == [e.extensions["code"] for e in result.errors]


def test_the_check_above_would_see_a_leak() -> None:
    closed = build_schema(QueryLimits(introspection=False))
    assert {"DateRange", "forecast", "SESSIONS", "from"} <= closed.hidden


HUGE = "x" * 100_000


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ('query($id: ID) { tenant(id: $id) { id } }', {"id": HUGE}),
        ('{ tenant(id: "%s") { id } }' % HUGE, None),
        ('query($id: ID!) { tenants(ids: [$id]) { id } }', {"id": HUGE}),
        ('{ tenant { metrics(range: {from: "2026-01-01", to: "2026-01-02"}, currency: "%s") { sessions } } }' % HUGE,
         None),
        ('{ tenant { metrics(range: {from: "%s", to: "2026-01-02"}) { sessions } } }' % HUGE, None),
        ("query($n: Int!) { tenant { forecast(metric: SESSIONS, horizon: $n) { model } } }", {"n": HUGE}),
    ],
    ids=["id variable", "id literal", "ids", "currency", "date", "int variable"],
)
async def test_huge_values_are_not_echoed(sqlite_demo_url: str, document: str, variables: dict[str, Any] | None) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    result = await execute(sqlite_demo_url, document, variables, tenants=ids[:1], max_tokens=100_000)
    assert result.errors
    assert all(len(e.message) < 400 for e in result.errors), [e.message[:200] for e in result.errors]
