"""Tenant scoping: a token reads exactly the tenants it names, and refusals reveal nothing."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from tests.conftest import make_token

NONEXISTENT = "t99-no-such-tenant-anywhere"


@pytest.fixture(scope="module")
def tenant_ids(sqlite_demo_url: str) -> list[str]:
    """Every tenant id in the demo store, read with plain SQL."""
    path = sqlite_demo_url.split("///", 1)[1]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        ids = sorted(row[0] for row in conn.execute("SELECT id FROM tenants"))
    assert len(ids) >= 3, "the demo store should hold several tenants"
    assert NONEXISTENT not in ids
    return ids


async def gql(client, token: str, query: str, variables: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = await response.json()
    body.pop("extensions", None)  # the cost block; its remaining budget differs call to call
    return response, body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def test_enterprise_token_with_all_ids_lists_exactly_the_store(client, tenant_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    response, body = await gql(client, make_token(tenant_ids, "ENTERPRISE"), "{ tenants { id name } }")
    assert response.status == 200, body
    assert sorted(t["id"] for t in body["data"]["tenants"]) == tenant_ids
    assert all(t["name"] for t in body["data"]["tenants"])


async def test_tenants_without_ids_returns_only_the_tokens_tenants(client, tenant_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    mine = tenant_ids[:2]
    _, body = await gql(client, make_token(mine, "ENTERPRISE"), "{ tenants { id } }")
    assert "errors" not in body, body
    assert sorted(t["id"] for t in body["data"]["tenants"]) == sorted(mine)


async def test_tenants_with_own_ids_returns_them(client, tenant_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    _, body = await gql(
        client, make_token(tenant_ids[:3]), "query($ids: [ID!]) { tenants(ids: $ids) { id } }", {"ids": [tenant_ids[2]]}
    )
    assert "errors" not in body, body
    assert [t["id"] for t in body["data"]["tenants"]] == [tenant_ids[2]]


async def test_viewer_lists_the_tokens_tenants(client, tenant_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    _, body = await gql(client, make_token([tenant_ids[1]]), "{ viewer { tenantIds } }")
    assert body["data"]["viewer"]["tenantIds"] == [tenant_ids[1]]


async def test_tenant_by_own_id(client, tenant_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    token = make_token(tenant_ids[:2])
    _, body = await gql(client, token, "query($id: ID) { tenant(id: $id) { id } }", {"id": tenant_ids[1]})
    assert body == {"data": {"tenant": {"id": tenant_ids[1]}}}


async def test_tenant_by_foreign_id_is_forbidden_and_null(client, tenant_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    token = make_token([tenant_ids[0]])
    response, body = await gql(client, token, "query($id: ID) { tenant(id: $id) { id name } }", {"id": tenant_ids[1]})
    assert response.status < 500
    assert codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["path"] == ["tenant"]
    assert (body.get("data") or {}).get("tenant") is None
    assert "name" not in json.dumps(body["data"])


async def test_tenants_with_a_foreign_id_is_forbidden_and_leaks_no_data(client, tenant_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    token = make_token([tenant_ids[0]], "ENTERPRISE")  # lower tiers stop at "reads 2 tenants" first
    query = "query($ids: [ID!]) { tenants(ids: $ids) { id name } }"
    _, body = await gql(client, token, query, {"ids": [tenant_ids[0], tenant_ids[1]]})
    assert codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["path"] == ["tenants"]
    assert (body.get("data") or {}).get("tenants") is None
    # not even the readable tenant of the same list is returned
    assert tenant_ids[0] not in json.dumps(body.get("data"))


async def test_foreign_tenant_nested_fields_are_not_resolved(client, tenant_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    token = make_token([tenant_ids[0]], "ENTERPRISE")
    query = 'query($id: ID) { tenant(id: $id) { id dataRange { from to } metrics(range: {from: "2025-12-01", to: "2025-12-31"}) { bookings } } }'
    _, body = await gql(client, token, query, {"id": tenant_ids[1]})
    assert codes(body) == ["FORBIDDEN"]
    assert body.get("data") is None or body["data"].get("tenant") is None


def _without(body: dict[str, Any], tenant_id: str) -> str:
    return json.dumps(body, sort_keys=True).replace(tenant_id, "<ID>")


@pytest.mark.parametrize(
    "query, variables",
    [
        pytest.param("query($id: ID) { tenant(id: $id) { id name } }", lambda t: {"id": t}, id="tenant"),
        pytest.param("query($ids: [ID!]) { tenants(ids: $ids) { id name } }", lambda t: {"ids": [t]}, id="tenants"),
    ],
)
async def test_foreign_and_nonexistent_tenants_are_refused_identically(
    client, tenant_ids: list[str], query: str, variables
) -> None:  # type: ignore[no-untyped-def]
    token = make_token([tenant_ids[0]])
    foreign = tenant_ids[-1]
    existing_response, existing = await gql(client, token, query, variables(foreign))
    missing_response, missing = await gql(client, token, query, variables(NONEXISTENT))
    assert codes(existing) == codes(missing) == ["FORBIDDEN"]
    assert existing_response.status == missing_response.status
    # the whole answer, message and extensions included, is the same but for the id asked for
    assert _without(existing, foreign) == _without(missing, NONEXISTENT)
    assert foreign in existing["errors"][0]["message"]


async def test_tenant_without_id_and_several_tenants_is_bad_user_input(client, tenant_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    response, body = await gql(client, make_token(tenant_ids[:2]), "{ tenant { id } }")
    assert response.status < 500
    assert codes(body) == ["BAD_USER_INPUT"]
    assert (body.get("data") or {}).get("tenant") is None


async def test_tenant_without_id_and_one_tenant_returns_it(client, tenant_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    _, body = await gql(client, make_token([tenant_ids[2]]), "{ tenant { id name currency } }")
    assert "errors" not in body, body
    assert body["data"]["tenant"]["id"] == tenant_ids[2]
    assert body["data"]["tenant"]["name"]


async def test_token_with_no_tenants_reads_nothing(client, tenant_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    token = make_token([])
    _, listed = await gql(client, token, "{ tenants { id } }")
    assert listed == {"data": {"tenants": []}}
    _, asked = await gql(client, token, "query($id: ID) { tenant(id: $id) { id } }", {"id": tenant_ids[0]})
    assert codes(asked) == ["FORBIDDEN"]
