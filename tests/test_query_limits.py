"""Document-shape limits: each abusive document is refused before execution, with a code."""

from __future__ import annotations

import pytest

from auth.query_limits import QueryLimits
from schema.root import build_schema
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
