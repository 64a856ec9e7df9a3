"""Document-shape limits: each abusive document is refused before execution, with a code."""

from __future__ import annotations

import pytest
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    Node,
    Visitor,
    get_introspection_query,
    parse,
    visit,
)

from auth.cost import CostAnalyzer
from auth.query_limits import Measure, QueryLimits, shape_errors
from schema.root import build_schema, schema
from tests.gql import execute, tenant_ids

JAN = '{from: "2026-01-01", to: "2026-01-31"}'


def _deep(levels: int) -> str:
    inner = "sessions"
    for _ in range(levels):
        inner = f"sessions previousPeriod {{ {inner} }}"
    return f'{{ tenant {{ metrics(range: {JAN}) {{ {inner} }} }} }}'


ABUSE = {
    "deep nesting": _deep(12),
    "alias overloading": "{ " + " ".join(f"a{i}: viewer {{ subject }}" for i in range(120)) + " }",
    "500 repeated fields": "{ viewer { " + "subject " * 500 + "} }",
    "too many root fields": "{ " + " ".join(f"v{i}: __typename" for i in range(11)) + " }",
    "token flood": "{ viewer { subject" + " @skip(if: false)" * 1000 + " } }",
}


@pytest.mark.parametrize("name", ABUSE)
async def test_abusive_documents_are_too_complex(sqlite_demo_url: str, name: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    result = await execute(sqlite_demo_url, ABUSE[name], tenants=ids[:1])
    assert result.data is None
    assert result.errors and {e.extensions["code"] for e in result.errors} == {"QUERY_TOO_COMPLEX"}


async def test_limits_leave_room_for_real_queries(sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    result = await execute(sqlite_demo_url, _deep(4), tenants=ids[:1])
    assert result.errors is None


async def test_introspection_can_be_turned_off() -> None:
    closed = build_schema(QueryLimits(introspection=False))
    refused = await closed.execute("{ __schema { types { name } } }")
    assert refused.data is None and refused.errors
    typo = await closed.execute("{ viewr { subject } }")
    assert "Did you mean" not in typo.errors[0].message
    opened = build_schema(QueryLimits())
    assert "Did you mean" in (await opened.execute("{ viewr { subject } }")).errors[0].message
    assert (await opened.execute("{ __schema { queryType { name } } }")).errors is None


def fan_out(levels: int) -> str:
    """Each fragment spreads the previous one twice: 2^levels fields once expanded, under 1 KB."""
    fragments = ["fragment F0 on Tenant { id }"]
    fragments += [f"fragment F{i} on Tenant {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)]
    return f"{{ tenant {{ ...F{levels} }} }} " + " ".join(fragments)


def selections(document: DocumentNode) -> int:
    kinds = (FieldNode, FragmentSpreadNode, InlineFragmentNode)
    count = 0

    class Count(Visitor):
        def enter(self, node: Node, *_args: Any) -> None:
            nonlocal count
            count += isinstance(node, kinds)

    visit(document, Count())
    return count


@pytest.mark.parametrize("levels", [20, 24, 200])
def test_fan_out_is_measured_in_linear_visits(levels: int) -> None:
    document = parse(fan_out(levels))
    measure = Measure(document)
    errors = shape_errors(document, QueryLimits(), measure)
    assert [e.extensions["limit"] for e in errors] == ["MAX_FIELD_NODES"]
    assert str(2**levels + 1) in errors[0].message  # exact, without expanding
    assert measure.visits == selections(document)  # every selection of the document once


@pytest.mark.parametrize("levels", [20, 24])
def test_cost_of_a_fan_out_is_exact_in_linear_visits(levels: int) -> None:
    document = parse(fan_out(levels).replace("{ id }", "{ dataRange { from } }"))
    analysis = CostAnalyzer(schema._schema).analyze(document, None, None, None)
    assert analysis.cost == 1 + 2**levels  # tenant, then one dataRange per expanded field
    assert analysis.visits == selections(document)


def test_each_limit_is_reported_with_its_own_code() -> None:
    document = parse("{ " + " ".join(f"a{i}: viewer {{ subject }}" for i in range(60)) + " }")
    errors = shape_errors(document, QueryLimits(max_root_fields=100, max_field_nodes=1000))
    assert [(e.extensions["code"], e.extensions["limit"]) for e in errors] == [("QUERY_TOO_COMPLEX", "MAX_ALIASES")]


def test_fragment_cycles_and_unknown_fragments_do_not_hang() -> None:
    document = parse("{ tenant { ...A ...Missing } } fragment A on Tenant { id ...B } fragment B on Tenant { ...A }")
    assert shape_errors(document, QueryLimits()) == []


async def test_circular_introspection_is_too_complex() -> None:
    query = "{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }"
    result = await build_schema(QueryLimits()).execute(query)
    assert result.errors and result.errors[0].extensions["code"] == "QUERY_TOO_COMPLEX"


async def test_graphiql_introspection_fits_the_limits() -> None:
    result = await build_schema(QueryLimits()).execute(get_introspection_query(descriptions=True))
    assert result.errors is None
