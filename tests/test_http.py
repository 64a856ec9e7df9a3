"""The HTTP surface: /graphql over POST and GET, GraphiQL, refusals, headers, /health, /ready, masking."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests import services
from tests.conftest import SECRET, make_token

TENANT = "t01-hotel-limmat-zurich"
RESPONSE_TIME = re.compile(r"\d+(\.\d+)?ms")
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def auth(tenants: list[str] | None = None, tier: str = "PROFESSIONAL") -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(tenants or [TENANT], tier)}"}


def assert_meta_headers(response: Any) -> str:
    request_id = response.headers.get("X-Request-Id")
    assert request_id, dict(response.headers)
    assert RESPONSE_TIME.fullmatch(response.headers.get("X-Response-Time", "")), dict(response.headers)
    return request_id


# --- /graphql ------------------------------------------------------------------------------


async def test_post_json_query(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/graphql", json={"query": "{ viewer { subject tier } }"}, headers=auth())
    assert response.status == 200
    assert response.content_type == "application/json"
    assert _without_cost(await response.json()) == {"data": {"viewer": {"subject": "tester", "tier": "PROFESSIONAL"}}}


async def test_post_with_variables_and_operation_name(client) -> None:  # type: ignore[no-untyped-def]
    document = "query A { viewer { subject } } query B($id: ID) { tenant(id: $id) { id } }"
    response = await client.post(
        "/graphql", json={"query": document, "operationName": "B", "variables": {"id": TENANT}}, headers=auth()
    )
    assert _without_cost(await response.json()) == {"data": {"tenant": {"id": TENANT}}}


async def test_get_query(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(
        "/graphql",
        params={"query": "query($id: ID) { tenant(id: $id) { id } }", "variables": f'{{"id": "{TENANT}"}}'},
        headers={**auth(), "Accept": "application/json"},
    )
    assert response.status == 200
    assert _without_cost(await response.json()) == {"data": {"tenant": {"id": TENANT}}}


async def test_graphiql_is_served_to_a_browser(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/graphql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status == 200
    assert response.content_type == "text/html"
    assert "graphiql" in (await response.text()).lower()
    assert_meta_headers(response)


async def test_introspection_works_without_a_token(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/graphql", json={"query": "{ __schema { queryType { fields { name } } } }"})
    assert response.status == 200
    body = await response.json()
    names = {field["name"] for field in body["data"]["__schema"]["queryType"]["fields"]}
    assert {"viewer", "tenant", "tenants", "currencies"} <= names


@pytest.mark.parametrize(
    "query",
    ["{ viewer { subject } }", "{ tenants { id } }", '{ tenant(id: "t01-hotel-limmat-zurich") { id } }', "{ currencies { code } }"],
)
async def test_data_fields_without_a_token_are_401(client, query: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/graphql", json={"query": query})
    assert response.status == 401
    body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not any((body.get("data") or {}).values())
    assert_meta_headers(response)


async def test_data_field_next_to_introspection_without_token_is_401(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/graphql", json={"query": "{ __typename currencies { code } }"})
    assert response.status == 401
    body = await response.json()
    assert "UNAUTHENTICATED" in [error["extensions"]["code"] for error in body["errors"]]
    assert not (body.get("data") or {}).get("currencies")


async def test_get_without_token_is_401(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/graphql", params={"query": "{ viewer { subject } }"}, headers={"Accept": "application/json"})
    assert response.status == 401
    assert (await response.json())["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_mutation_over_post_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/graphql", json={"query": "mutation { viewer { subject } }"}, headers=auth())
    assert response.status < 500
    body = await response.json()
    assert body["errors"]
    assert not body.get("data")


async def test_mutation_over_get_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(
        "/graphql", params={"query": "mutation { viewer { subject } }"}, headers={**auth(), "Accept": "application/json"}
    )
    assert 400 <= response.status < 500
    assert_meta_headers(response)


@pytest.mark.parametrize(
    "body, content_type",
    [
        pytest.param(b"{not json", "application/json", id="broken-json"),
        pytest.param(b"", "application/json", id="empty"),
        pytest.param(b'"just a string"', "application/json", id="json-string"),
        pytest.param(b"42", "application/json", id="json-number"),
        pytest.param(b"null", "application/json", id="json-null"),
        pytest.param(b"[1, 2]", "application/json", id="json-array"),
        pytest.param(b"{}", "application/json", id="no-query"),
        pytest.param(b'{"query": 5}', "application/json", id="query-not-string"),
        pytest.param(b'{"query": "{ viewer { subject } }", "variables": "x"}', "application/json", id="variables-not-object"),
        pytest.param(b'{"query": "\xff\xfe"}', "application/json", id="invalid-utf8"),
        pytest.param(b"[" * 100_000, "application/json", id="deeply-nested"),
        pytest.param(b"query { viewer { subject } }", "text/plain", id="wrong-content-type"),
    ],
)
async def test_unparsable_body_is_refused_cleanly(client, body: bytes, content_type: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/graphql", data=body, headers={**auth(), "Content-Type": content_type})
    assert 400 <= response.status < 500, await response.text()
    assert_meta_headers(response)


@pytest.mark.parametrize("variables", ["{broken", "42", '"text"', "[" * 2_000])
async def test_get_with_unparsable_variables_is_400(client, variables: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(
        "/graphql",
        params={"query": "query($id: ID) { tenant(id: $id) { id } }", "variables": variables},
        headers={**auth(), "Accept": "application/json"},
    )
    assert response.status == 400, await response.text()
    assert_meta_headers(response)


async def test_syntax_error_in_document_is_not_a_500(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/graphql", json={"query": "{ viewer { "}, headers=auth())
    assert response.status < 500
    body = await response.json()
    assert body["errors"]
    assert "Traceback" not in await response.text()


async def test_too_large_body_is_413(client) -> None:  # type: ignore[no-untyped-def]
    filler = "x" * (1024 * 1024)  # over the limit, which grows with INGEST_MAX_BATCH (600 KB by default)
    response = await client.post("/graphql", json={"query": "{ viewer { subject } }", "extensions": {"f": filler}}, headers=auth())
    assert response.status == 413
    assert_meta_headers(response)


async def test_unsupported_method_is_405(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.put("/graphql", json={"query": "{ viewer { subject } }"}, headers=auth())
    assert response.status == 405
    assert_meta_headers(response)


# --- request id and timing on every response -----------------------------------------------


@pytest.mark.parametrize(
    "method, path, kwargs",
    [
        pytest.param("POST", "/graphql", {"json": {"query": "{ viewer { subject } }"}, "headers": auth()}, id="graphql-200"),
        pytest.param("POST", "/graphql", {"json": {"query": "{ viewer { subject } }"}}, id="graphql-401-no-token"),
        pytest.param(
            "POST", "/graphql", {"json": {"query": "{ viewer { subject } }"}, "headers": {"Authorization": "Bearer x.y.z"}},
            id="graphql-401-bad-token",
        ),
        pytest.param("POST", "/graphql", {"data": b"{nope", "headers": {"Content-Type": "application/json"}}, id="graphql-400"),
        pytest.param("GET", "/health", {}, id="health"),
        pytest.param("GET", "/ready", {}, id="ready"),
        pytest.param("GET", "/no/such/page", {}, id="404"),
        pytest.param("POST", "/health", {}, id="405"),
    ],
)
async def test_every_response_carries_request_id_and_response_time(client, method: str, path: str, kwargs: dict) -> None:  # type: ignore[no-untyped-def]
    response = await client.request(method, path, **kwargs)
    request_id = assert_meta_headers(response)
    assert GENERATED_ID.fullmatch(request_id)


async def test_request_ids_are_unique(client) -> None:  # type: ignore[no-untyped-def]
    ids = {assert_meta_headers(await client.get("/health")) for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("path", ["/graphql", "/health", "/missing"])
async def test_safe_client_request_id_is_echoed(client, path: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"X-Request-Id": "trace-42.abc_DEF", **auth()}
    if path == "/graphql":
        response = await client.post(path, json={"query": "{ viewer { subject } }"}, headers=headers)
    else:
        response = await client.get(path, headers=headers)
    assert response.headers["X-Request-Id"] == "trace-42.abc_DEF"


@pytest.mark.parametrize(
    "incoming",
    [
        pytest.param("a" * 65, id="too-long"),
        pytest.param("has space", id="space"),
        pytest.param("<script>", id="markup"),
        pytest.param("id;rm -rf", id="shell"),
    ],
)
async def test_unsafe_client_request_id_is_replaced(client, incoming: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/health", headers={"X-Request-Id": incoming})
    request_id = response.headers["X-Request-Id"]
    assert request_id != incoming
    assert GENERATED_ID.fullmatch(request_id)


# --- /health and /ready --------------------------------------------------------------------


async def test_health(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/health")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"


async def test_ready_reports_database_latency(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/ready")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ready"
    database = body["checks"]["database"]
    assert database["ok"] is True
    assert isinstance(database["latencyMs"], (int, float)) and database["latencyMs"] >= 0
    assert "redis" not in body["checks"]  # not configured


@pytest.mark.redis
async def test_ready_with_real_redis(aiohttp_client, sqlite_demo_url: str) -> None:  # type: ignore[no-untyped-def]
    url = services.redis_url()
    client = await aiohttp_client(create_app(Settings(database_url=sqlite_demo_url, jwt_secret=SECRET, redis_url=url)))
    response = await client.get("/ready")
    body = await response.json()
    assert response.status == 200, body
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["database"]["ok"] is True
    assert isinstance(body["checks"]["redis"]["latencyMs"], (int, float))


async def test_ready_with_unreachable_redis_is_503_quickly(aiohttp_client, sqlite_demo_url: str) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=sqlite_demo_url, jwt_secret=SECRET, redis_url="redis://127.0.0.1:1/0")
    client = await aiohttp_client(create_app(settings))
    started = time.perf_counter()
    response = await asyncio.wait_for(client.get("/ready"), timeout=10)
    elapsed = time.perf_counter() - started
    body = await response.json()
    assert response.status == 503, body
    assert body["status"] != "ready"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert elapsed < 5
    assert_meta_headers(response)
    # /health does not depend on redis
    assert (await client.get("/health")).status == 200


async def test_ready_with_unreachable_database_is_503_quickly(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url="mysql+aiomysql://gateway@127.0.0.1:1/analytics", jwt_secret=SECRET)
    client = await aiohttp_client(create_app(settings))
    started = time.perf_counter()
    response = await asyncio.wait_for(client.get("/ready"), timeout=10)
    body = await response.json()
    assert response.status == 503, body
    assert body["checks"]["database"]["ok"] is False
    assert "latencyMs" in body["checks"]["database"]
    assert time.perf_counter() - started < 5
    assert_meta_headers(response)
    # the liveness probe stays green: the process itself is fine
    assert (await client.get("/health")).status == 200


# --- internal errors are masked ------------------------------------------------------------


def corrupt_store(directory: Path) -> str:
    """A store whose exchange rate is not a number: reading it fails inside the gateway."""
    from loaders.store import create_schema

    url = f"sqlite+aiosqlite:///{directory}/corrupt.db"
    asyncio.run(_with_engine(url, create_schema))
    with sqlite3.connect(directory / "corrupt.db") as conn:
        conn.execute("INSERT INTO tenants VALUES (?, 'Limmat', 'city_hotel', 'CH', 'EUR')", (TENANT,))
        conn.execute("INSERT INTO fx_rates VALUES ('EUR', '2026-01-01', 'not-a-number')")
    return url


async def _with_engine(url: str, action) -> None:  # type: ignore[no-untyped-def]
    from gateway.database import create_engine

    engine = create_engine(Settings(database_url=url))
    try:
        await action(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def corrupt_url(tmp_path: Path) -> str:
    return corrupt_store(tmp_path)


async def test_internal_error_is_masked_and_logged(
    aiohttp_client, corrupt_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(Settings(database_url=corrupt_url, jwt_secret=SECRET)))
    with caplog.at_level(logging.ERROR):
        response = await client.post("/graphql", json={"query": "{ currencies { code } }"}, headers=auth())
    text = await response.text()
    body = await response.json()
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    error_id = error["extensions"]["errorId"]
    assert error_id and error_id in error["message"]
    for leak in ("Traceback", "SELECT", "sqlite", "fx_rates", "not-a-number", "InvalidOperation", str(tmp_path)):
        assert leak not in text, leak
    assert_meta_headers(response)
    assert any(error_id in record.getMessage() for record in caplog.records), [r.getMessage() for r in caplog.records]


async def test_internal_error_on_tenant_field_is_masked(
    aiohttp_client, corrupt_url: str, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(Settings(database_url=corrupt_url, jwt_secret=SECRET)))
    query = '{ tenants { id name metrics(range: {from: "2026-01-01", to: "2026-01-31"}) { sessions } } }'
    with caplog.at_level(logging.ERROR):
        response = await client.post("/graphql", json={"query": query}, headers=auth())
    body = await response.json()
    codes = [error["extensions"]["code"] for error in body["errors"]]
    assert codes == ["INTERNAL_SERVER_ERROR"]
    assert body["errors"][0]["path"] == ["tenants", 0, "metrics"]
    assert body["data"]["tenants"] == [{"id": TENANT, "name": "Limmat", "metrics": None}], "the rest stays"
    assert "tenants" not in body["errors"][0]["message"]
    assert any(body["errors"][0]["extensions"]["errorId"] in record.getMessage() for record in caplog.records)


def _without_cost(body: dict) -> dict:  # type: ignore[type-arg]
    """The body without `extensions` (the cost block, asserted in tests/test_http_limits.py)."""
    return {key: value for key, value in body.items() if key != "extensions"}
