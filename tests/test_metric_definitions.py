"""`metricDefinitions` tells the truth: every declared dimension works in `breakdown`, every other
one is BAD_USER_INPUT; docs/metrics.md's table says the same; anyone may read it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.gql import execute, tenant_ids

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = "{ metricDefinitions { metric description unit dimensions granularities } }"
RANGE = '{from: "2025-12-01", to: "2026-01-31"}'
METRICS = ["UNIQUE_VISITORS", "SESSIONS", "PAGEVIEWS", "BOOKINGS", "CANCELLATIONS", "ROOM_NIGHTS", "REVENUE",
           "AVERAGE_BOOKING_VALUE", "CONVERSION_RATE", "CANCELLATION_RATE", "REPEAT_BOOKING_RATE", "NPS"]
DIMENSIONS = ["CHANNEL", "DEVICE", "LOGIN_STATUS", "COUNTRY", "UTM_SOURCE", "UTM_MEDIUM", "UTM_CAMPAIGN"]


async def definitions(url: str) -> dict[str, dict]:
    result = await execute(url, DEFINITIONS, tenants=[])
    assert result.errors is None, result.errors
    return {d["metric"]: d for d in result.data["metricDefinitions"]}


def _breakdowns(pairs: list[tuple[str, str]]) -> str:
    fields = " ".join(f"{m}_{d}: breakdown(metric: {m}, by: {d}, range: {RANGE}) {{ key value share }}" for m, d in pairs)
    return f"{{ tenant {{ {fields} }} }}"


async def test_declared_dimensions_are_exactly_what_breakdown_accepts(demo_store_url: str) -> None:
    declared = await definitions(demo_store_url)
    assert list(declared) == METRICS
    pairs = [(m, d) for m in METRICS for d in DIMENSIONS]
    accepted = [(m, d) for m, d in pairs if d in declared[m]["dimensions"]]
    refused = [pair for pair in pairs if pair not in accepted]
    assert accepted and refused
    tenant = (await tenant_ids(demo_store_url))[:1]

    works = await execute(demo_store_url, _breakdowns(accepted), tenants=tenant)
    assert works.errors is None, works.errors
    for metric, dimension in accepted:
        rows = works.data["tenant"][f"{metric}_{dimension}"]
        assert rows, (metric, dimension)

    for pair in refused:  # one by one: the first failing field nulls the tenant and hides the others
        fails = await execute(demo_store_url, _breakdowns([pair]), tenants=tenant)
        assert [(e.path[-1], e.extensions) for e in fails.errors or []] == [
            ("_".join(pair), {"code": "BAD_USER_INPUT", "argument": "by"})
        ], pair


async def test_units_granularities_and_descriptions(sqlite_demo_url: str) -> None:
    declared = await definitions(sqlite_demo_url)
    units = {m: d["unit"] for m, d in declared.items()}
    assert units == {
        **{m: "COUNT" for m in METRICS[:6]}, "REVENUE": "MONEY", "AVERAGE_BOOKING_VALUE": "MONEY",
        "CONVERSION_RATE": "RATIO", "CANCELLATION_RATE": "RATIO", "REPEAT_BOOKING_RATE": "RATIO", "NPS": "SCORE",
    }
    for definition in declared.values():
        assert definition["granularities"] == ["DAY", "WEEK", "MONTH", "QUARTER", "YEAR"]
        assert 20 <= len(definition["description"]) <= 200 and definition["description"].endswith(".")


async def test_docs_breakdown_table_matches_the_definitions(sqlite_demo_url: str) -> None:
    declared = await definitions(sqlite_demo_url)
    text = (ROOT / "docs" / "metrics.md").read_text()
    table = text.split("<!-- breakdown-table", 1)[1].split("<!-- /breakdown-table -->", 1)[0]
    header, _rule, *rows = [line for line in table.splitlines() if line.startswith("|")]
    columns = [cell.strip() for cell in header.strip("|").split("|")][1:]
    assert sorted(columns) == sorted(DIMENSIONS)
    documented = {}
    for row in rows:
        metric, *cells = [cell.strip() for cell in row.strip("|").split("|")]
        documented[metric] = {c for c, cell in zip(columns, cells) if cell == "yes"}
    assert documented == {m: set(d["dimensions"]) for m, d in declared.items()}
    # and every metric has its row in the dictionary table, with its unit
    for metric, definition in declared.items():
        assert re.search(rf"\| `{metric}` \| {definition['unit']} \|", text), metric


async def test_anyone_may_read_the_dictionary(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/graphql", json={"query": DEFINITIONS})
    assert response.status == 200
    body = await response.json()
    assert [d["metric"] for d in body["data"]["metricDefinitions"]] == METRICS
