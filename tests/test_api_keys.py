"""Partner API keys (`X-API-Key`) through the real app, on SQLite and MariaDB.

Each test has its own store (the seeded demo stores are shared and read-only, and keys
are written: created, revoked, touched).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from auth.api_keys import (
    ALPHABET,
    LastUsedRecorder,
    create_key,
    generate_key,
    hash_key,
    prefix_of,
    utcnow,
)
from core.errors import Unauthenticated
from core.vocabulary import Tier
from gateway import appkeys
from gateway.app import create_app
from gateway.database import create_engine
from gateway.settings import Settings
from loaders.api_key_store import find_by_prefix, revoke_key
from loaders.bulk_insert import insert_rows
from loaders.store import create_schema
from loaders.tables import tenants
from tests.conftest import SECRET, make_token

MINE = ["k01-hotel-alpha", "k02-resort-beta"]
OTHER = "k03-venue-gamma"
KEY = re.compile(r"agw_[0-9a-f]{12}_[0-9A-Za-z]{43}")
VIEWER = "{ viewer { kind subject tier tenantIds } }"


@pytest.fixture
async def key_store(empty_store_url: str) -> AsyncIterator[str]:
    """A store of its own with the tables and three tenants."""
    engine = create_engine(Settings(database_url=empty_store_url))
    try:
        await create_schema(engine)
        await insert_rows(engine, tenants, [
            {"id": tenant_id, "name": tenant_id.title(), "segment": "hotel", "country": "US", "currency": "USD"}
            for tenant_id in [*MINE, OTHER]
        ])
    finally:
        await engine.dispose()
    yield empty_store_url


async def start(aiohttp_client, url: str):  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(Settings(database_url=url, jwt_secret=SECRET)))


def engine_of(client) -> AsyncEngine:  # type: ignore[no-untyped-def]
    return client.server.app[appkeys.DATA].engine


async def issue(client, tenant_ids: list[str] = MINE, tier: Tier = Tier.ENTERPRISE, **kwargs: Any) -> str:  # type: ignore[no-untyped-def]
    key, _ = await create_key(engine_of(client), name="partner-x", tier=tier, tenant_ids=tenant_ids, **kwargs)
    return key


async def post(client, query: str, headers: dict[str, str], variables: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    return response, await response.json()


async def assert_unauthenticated(client, headers: dict[str, str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response, body = await post(client, VIEWER, headers)
    assert response.status == 401, body
    assert set(body) == {"errors"}, body  # refused before execution: no data entry
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}, body
    assert response.headers["WWW-Authenticate"].startswith("Bearer"), dict(response.headers)
    return body


async def stored_rows(url: str) -> list[tuple[Any, ...]]:
    """The api_keys table read with plain SQL, bypassing the gateway's code."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in await conn.exec_driver_sql("SELECT * FROM api_keys")]
    finally:
        await engine.dispose()


async def last_used(url: str, prefix: str, wait: float = 5.0) -> Any:
    """last_used_at of the key, polled for up to `wait` seconds (the write is asynchronous)."""
    engine = create_async_engine(url)
    try:
        for _ in range(max(1, int(wait / 0.05))):
            async with engine.connect() as conn:
                value = (await conn.execute(text("SELECT last_used_at FROM api_keys WHERE prefix = :p"),
                                            {"p": prefix})).scalar_one()
            if value is not None or wait == 0:
                return value
            await asyncio.sleep(0.05)
        return None
    finally:
        await engine.dispose()


# --- format and hashing ---------------------------------------------------------------------


def test_generated_keys_are_random_prefixed_and_parse() -> None:
    keys = {generate_key() for _ in range(200)}
    assert len({key for key, _ in keys}) == len({prefix for _, prefix in keys}) == 200
    for key, prefix in keys:
        assert KEY.fullmatch(key) and key.startswith(prefix + "_") and prefix_of(key) == prefix
        assert hash_key(key) == hashlib.sha256(key.encode()).hexdigest() and key not in hash_key(key)
    assert len(ALPHABET) == 62  # 43 characters of 62 are 256 bits


ID = "agw_0123456789ab_"


@pytest.mark.parametrize(
    "bad",
    ["", "agw_", ID, "agw_0123456789AB_" + "a" * 43, "xyz_0123456789ab_" + "a" * 43, ID + "a" * 42, ID + "a" * 44,
     ID + "-" * 43, " " + ID + "a" * 43],
)
def test_malformed_keys_are_unauthenticated(bad: str) -> None:
    with pytest.raises(Unauthenticated):
        prefix_of(bad)


# --- reading through HTTP ---------------------------------------------------------------------


async def test_key_reads_exactly_its_tenants(aiohttp_client, key_store: str) -> None:  # type: ignore[no-untyped-def]
    client = await start(aiohttp_client, key_store)
    key = await issue(client)
    response, body = await post(client, "{ tenants { id name } }", {"X-API-Key": key})
    assert response.status == 200, body
    assert sorted(t["id"] for t in body["data"]["tenants"]) == sorted(MINE)
    _, body = await post(client, "query($id: ID) { tenant(id: $id) { id name } }", {"X-API-Key": key}, {"id": MINE[1]})
    assert _without_cost(body) == {"data": {"tenant": {"id": MINE[1], "name": MINE[1].title()}}}


async def test_viewer_shows_the_api_key(aiohttp_client, key_store: str) -> None:  # type: ignore[no-untyped-def]
    client = await start(aiohttp_client, key_store)
    key = await issue(client, tier=Tier.PROFESSIONAL)
    _, body = await post(client, VIEWER, {"X-API-Key": key})
    assert _without_cost(body) == {"data": {"viewer": {"kind": "API_KEY", "subject": "partner-x", "tier": "PROFESSIONAL",
                                        "tenantIds": MINE}}}


@pytest.mark.parametrize("tenant_id", [OTHER, "k99-does-not-exist"])
async def test_other_tenants_are_forbidden_as_for_a_jwt(aiohttp_client, key_store: str, tenant_id: str) -> None:  # type: ignore[no-untyped-def]
    client = await start(aiohttp_client, key_store)
    query, variables = "query($id: ID) { tenant(id: $id) { id } }", {"id": tenant_id}
    _, by_key = await post(client, query, {"X-API-Key": await issue(client)}, variables)
    _, by_jwt = await post(client, query, {"Authorization": f"Bearer {make_token(MINE, 'ENTERPRISE')}"}, variables)
    assert by_key["errors"][0]["extensions"]["code"] == "FORBIDDEN", by_key
    assert [e["message"] for e in by_key["errors"]] == [e["message"] for e in by_jwt["errors"]]
    assert by_key["data"] == {"tenant": None}


async def test_the_keys_tier_applies(aiohttp_client, key_store: str) -> None:  # type: ignore[no-untyped-def]
    client = await start(aiohttp_client, key_store)
    query = 'query($id: ID) { tenant(id: $id) { metrics(range: {from: "2025-10-30", to: "2026-01-31"}) { sessions } } }'
    _, free = await post(client, query, {"X-API-Key": await issue(client, MINE[:1], Tier.FREE)}, {"id": MINE[0]})
    assert free["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "range"}, free
    assert "FREE tier allows at most 93" in free["errors"][0]["message"]
    _, pro = await post(client, query, {"X-API-Key": await issue(client, MINE[:1], Tier.PROFESSIONAL)}, {"id": MINE[0]})
    assert "errors" not in pro, pro


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["revoked", "expired", "unknown", "wrong-secret-right-prefix"])
async def test_unusable_keys_are_401(aiohttp_client, key_store: str, case: str) -> None:  # type: ignore[no-untyped-def]
    client = await start(aiohttp_client, key_store)
    key = await issue(client, expires_in=timedelta(seconds=-1) if case == "expired" else None)
    if case == "revoked":
        assert (await post(client, VIEWER, {"X-API-Key": key}))[0].status == 200
        assert await revoke_key(engine_of(client), prefix_of(key), utcnow())
    elif case == "unknown":
        key = generate_key()[0]
    elif case == "wrong-secret-right-prefix":
        other_secret = generate_key()[0].rsplit("_", 1)[1]
        key = f"{prefix_of(key)}_{other_secret}"
    body = await assert_unauthenticated(client, {"X-API-Key": key})
    message = body["errors"][0]["message"]
    expected = {"revoked": "revoked", "expired": "expired"}.get(case, "invalid API key")
    assert expected in message
    assert key not in message


@pytest.mark.parametrize("value", ["", "not-a-key", "Bearer agw_0123456789ab_" + "a" * 43, "agw_" + "a" * 5000])
async def test_malformed_keys_are_401(aiohttp_client, key_store: str, value: str) -> None:  # type: ignore[no-untyped-def]
    client = await start(aiohttp_client, key_store)
    body = await assert_unauthenticated(client, {"X-API-Key": value})
    assert "malformed API key" in body["errors"][0]["message"]


async def test_refusal_has_the_same_shape_as_for_a_bad_jwt(aiohttp_client, key_store: str) -> None:  # type: ignore[no-untyped-def]
    client = await start(aiohttp_client, key_store)
    by_key = await client.post("/graphql", json={"query": VIEWER}, headers={"X-API-Key": generate_key()[0]})
    by_jwt = await client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": "Bearer x.y.z"})
    assert by_key.status == by_jwt.status == 401
    assert by_key.headers["WWW-Authenticate"] == by_jwt.headers["WWW-Authenticate"]
    key_body, jwt_body = await by_key.json(), await by_jwt.json()
    assert key_body.keys() == jwt_body.keys()
    assert key_body["errors"][0].keys() == jwt_body["errors"][0].keys()
    assert key_body["errors"][0]["extensions"] == jwt_body["errors"][0]["extensions"]


async def test_both_credentials_at_once_are_401(aiohttp_client, key_store: str) -> None:  # type: ignore[no-untyped-def]
    client = await start(aiohttp_client, key_store)
    key = await issue(client)
    body = await assert_unauthenticated(client, {"X-API-Key": key, "Authorization": f"Bearer {make_token(MINE)}"})
    assert "send one credential" in body["errors"][0]["message"]
    # two X-API-Key headers are two credentials as well
    response = await client.post("/graphql", json={"query": VIEWER}, headers=[("X-API-Key", key), ("X-API-Key", key)])
    assert response.status == 401
    assert "send one credential" in (await response.json())["errors"][0]["message"]


async def test_store_without_the_table_is_503_not_401(aiohttp_client, empty_store_url: str) -> None:  # type: ignore[no-untyped-def]
    client = await start(aiohttp_client, empty_store_url)
    response = await client.post("/graphql", json={"query": VIEWER}, headers={"X-API-Key": generate_key()[0]})
    body = await response.json()
    assert response.status == 503, body
    assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "api_keys" not in body["errors"][0]["message"]


# --- replicas, storage, last use --------------------------------------------------------------


async def test_keys_work_across_app_instances_and_revocation_is_immediate(aiohttp_client, key_store: str) -> None:  # type: ignore[no-untyped-def]
    first, second = await start(aiohttp_client, key_store), await start(aiohttp_client, key_store)
    key = await issue(first)
    for client in (first, second):
        response, body = await post(client, VIEWER, {"X-API-Key": key})
        assert response.status == 200 and body["data"]["viewer"]["kind"] == "API_KEY", body
    assert await revoke_key(engine_of(second), prefix_of(key), utcnow())
    for client in (first, second):
        await assert_unauthenticated(client, {"X-API-Key": key})


async def test_the_store_holds_no_plaintext_key(aiohttp_client, key_store: str) -> None:  # type: ignore[no-untyped-def]
    client = await start(aiohttp_client, key_store)
    key = await issue(client)
    await post(client, VIEWER, {"X-API-Key": key})
    rows = await stored_rows(key_store)
    assert len(rows) == 1
    cells = [str(cell) for cell in rows[0]]
    secret = key.rsplit("_", 1)[1]
    assert not any(key in cell or secret in cell for cell in cells), cells
    assert hash_key(key) in cells and prefix_of(key) in cells


async def test_last_used_is_set_once_per_interval(aiohttp_client, key_store: str) -> None:  # type: ignore[no-untyped-def]
    client = await start(aiohttp_client, key_store)
    key = await issue(client)
    assert await last_used(key_store, prefix_of(key), wait=0) is None
    updates: list[str] = []

    def count(_conn, _cursor, statement: str, *_args: Any) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE API_KEYS"):
            updates.append(statement)

    event.listen(engine_of(client).sync_engine, "before_cursor_execute", count)
    for _ in range(5):
        assert (await post(client, VIEWER, {"X-API-Key": key}))[0].status == 200
    assert await last_used(key_store, prefix_of(key)) is not None
    for _ in range(3):
        assert (await post(client, VIEWER, {"X-API-Key": key}))[0].status == 200
    await asyncio.sleep(0.2)
    assert len(updates) == 1, updates


async def test_recorder_skips_keys_used_recently_by_another_replica(key_store: str) -> None:
    engine = create_engine(Settings(database_url=key_store))
    try:
        key, record = await create_key(engine, name="n", tier=Tier.FREE, tenant_ids=MINE[:1])
        first, second = LastUsedRecorder(), LastUsedRecorder()  # two processes
        first.seen(engine, record, record.created_at)
        await first.drain()
        fresh = await find_by_prefix(engine, record.prefix)
        assert fresh is not None and fresh.last_used_at is not None
        second.seen(engine, fresh, record.created_at + timedelta(seconds=30))
        assert not second._pending  # the stored value is fresh: no write
        second.seen(engine, fresh, record.created_at + timedelta(seconds=61))
        await second.drain()
        later = await find_by_prefix(engine, record.prefix)
        assert later is not None and later.last_used_at > fresh.last_used_at
    finally:
        await engine.dispose()


def _without_cost(body: dict) -> dict:  # type: ignore[type-arg]
    """The body without `extensions` (the cost block, asserted in tests/test_http_limits.py)."""
    return {key: value for key, value in body.items() if key != "extensions"}
