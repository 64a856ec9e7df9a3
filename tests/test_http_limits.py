"""Limits at the HTTP edge, through the real app: headers, statuses, Redis shared by replicas."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import SECRET, make_token
from tests.gql import tenant_ids
from tests.test_query_limits import fan_out
from tests.services import redis_url

JAN = '{from: "2026-01-01", to: "2026-01-31"}'
METRICS = f'query($id: ID!) {{ tenant(id: $id) {{ metrics(range: {JAN}) {{ sessions }} }} }}'  # costs 4


def _tiers(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiers.toml"
    path.write_text(text)
    return path


async def _app(aiohttp_client: Any, url: str, **settings: Any) -> Any:
    return await aiohttp_client(create_app(Settings(database_url=url, jwt_secret=SECRET, **settings)))


async def _post(client: Any, token: str, query: str, variables: dict[str, Any] | None = None, **extra: Any) -> Any:
    return await client.post("/graphql", json={"query": query, "variables": variables or {}, **extra},
                             headers={"Authorization": f"Bearer {token}"})


async def test_cost_block_headers_and_viewer_agree(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    client = await _app(aiohttp_client, sqlite_demo_url)
    ids = await tenant_ids(sqlite_demo_url)
    token = make_token(ids[:1], "FREE", sub=f"u-{uuid.uuid4().hex}")
    query = f'query($id: ID!) {{ viewer {{ rateLimit {{ limit remaining cost resetAt }} }} tenant(id: $id) {{ metrics(range: {JAN}) {{ sessions }} }} }}'
    response = await _post(client, token, query, {"id": ids[0]})
    body = await response.json()
    cost = body["extensions"]["cost"]
    assert response.status == 200 and cost["requestedQueryCost"] == 4
    assert body["data"]["viewer"]["rateLimit"]["cost"] == 4
    assert body["data"]["viewer"]["rateLimit"]["remaining"] == cost["remaining"] == cost["limit"] - 4
    assert response.headers["X-RateLimit-Limit"] == str(cost["limit"])
    assert response.headers["X-RateLimit-Remaining"] == str(cost["remaining"])
    assert int(response.headers["X-RateLimit-Reset"]) > 0


async def test_exhausted_budget_is_429_with_retry_after(aiohttp_client: Any, sqlite_demo_url: str, tmp_path: Path) -> None:
    client = await _app(aiohttp_client, sqlite_demo_url, tiers_file=_tiers(tmp_path, "[FREE]\npoints_per_minute = 10\n"))
    ids = await tenant_ids(sqlite_demo_url)
    token = make_token(ids[:1], "FREE")
    statuses = [(await _post(client, token, METRICS, {"id": ids[0]})).status for _ in range(2)]
    refused = await _post(client, token, METRICS, {"id": ids[0]})
    body = await refused.json()
    assert statuses == [200, 200]
    assert refused.status == 429
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "2"


async def test_too_complex_is_400_and_dry_run_costs_nothing(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    client = await _app(aiohttp_client, sqlite_demo_url)
    ids = await tenant_ids(sqlite_demo_url)
    token = make_token(ids[:1], "FREE", sub=f"u-{uuid.uuid4().hex}")
    fields = " ".join(f'q{i}: series(metric: SESSIONS, range: {{from: "2025-11-01", to: "2026-01-31"}}) {{ value }}'
                      for i in range(12))
    refused = await _post(client, token, f'query($id: ID!) {{ tenant(id: $id) {{ {fields} }} }}', {"id": ids[0]})
    assert refused.status == 400
    assert (await refused.json())["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    dry = await _post(client, token, METRICS, {"id": ids[0]}, extensions={"costDryRun": True})
    body = await dry.json()
    assert dry.status == 200 and body["data"] is None
    assert body["extensions"]["cost"]["requestedQueryCost"] == 4
    assert body["extensions"]["cost"]["remaining"] == body["extensions"]["cost"]["limit"]


async def test_two_replicas_on_one_redis_admit_exactly_the_budget(
    aiohttp_client: Any, sqlite_demo_url: str, tmp_path: Path
) -> None:
    shared = {"redis_url": redis_url(), "tiers_file": _tiers(tmp_path, "[PROFESSIONAL]\npoints_per_minute = 100\n"),
              "ip_attempts_per_minute": 100_000}
    first = await _app(aiohttp_client, sqlite_demo_url, **shared)
    second = await _app(aiohttp_client, sqlite_demo_url, **shared)
    ids = await tenant_ids(sqlite_demo_url)
    token = make_token(ids[:1], "PROFESSIONAL", sub=f"replicas-{uuid.uuid4().hex}")
    responses = await asyncio.gather(*[_post(client, token, METRICS, {"id": ids[0]})
                                       for _ in range(20) for client in (first, second)])
    statuses = [response.status for response in responses]
    assert statuses.count(200) == 100 // 4
    assert statuses.count(429) == len(statuses) - 100 // 4


async def test_redis_loss_degrades_never_fails(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    client = await _app(aiohttp_client, sqlite_demo_url, redis_url="redis://127.0.0.1:1/0")
    ids = await tenant_ids(sqlite_demo_url)
    token = make_token(ids[:1], "FREE")
    response = await _post(client, token, METRICS, {"id": ids[0]})
    assert response.status == 200
    assert (await response.json())["extensions"]["cost"]["requestedQueryCost"] == 4
    ready = await client.get("/ready")
    assert ready.status == 503  # said where operators look, while requests go on
    assert (await ready.json())["rateLimitFallbacks"] >= 1


async def test_failed_credentials_are_limited_per_ip(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    client = await _app(aiohttp_client, sqlite_demo_url, ip_attempts_per_minute=3)
    bad = {"Authorization": "Bearer not-a-token"}
    statuses = [(await client.post("/graphql", json={"query": "{ viewer { subject } }"}, headers=bad)).status
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    ids = await tenant_ids(sqlite_demo_url)
    good = await _post(client, make_token(ids[:1]), "{ viewer { subject } }")
    assert good.status == 200, "a valid credential from the same address still works"


@pytest.mark.parametrize(
    ("method", "kwargs", "status"),
    [
        ("post", {"json": [{"query": "{ viewer { subject } }"}, {"query": "{ viewer { tier } }"}]}, 400),
        ("get", {"params": {"query": "mutation { viewer { subject } }"}}, 405),
        ("post", {"data": {"query": "{ viewer { subject } }"}}, 415),
        ("post", {"data": "query={viewer{subject}}", "headers": {"Content-Type": "text/plain"}}, 415),
    ],
    ids=["batched array", "GET mutation", "form-encoded", "text/plain"],
)
async def test_http_hygiene(aiohttp_client: Any, sqlite_demo_url: str, method: str, kwargs: dict[str, Any],
                            status: int) -> None:
    client = await _app(aiohttp_client, sqlite_demo_url)
    ids = await tenant_ids(sqlite_demo_url)
    headers = {"Authorization": f"Bearer {make_token(ids[:1])}", **kwargs.pop("headers", {})}
    response = await getattr(client, method)("/graphql", headers=headers, **kwargs)
    assert response.status == status
    body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "document",
    [
        "{ " + " ".join(f"a{i}: viewer {{ subject }}" for i in range(120)) + " }",
        "{ viewer { " + "subject " * 500 + "} }",
        "{ tenant { metrics(range: {from: \"2026-01-01\", to: \"2026-01-02\"}) { "
        + "previousPeriod { " * 12 + "sessions" + " }" * 12 + " } } }",
    ],
    ids=["120 aliases", "500 repeated fields", "deep nesting"],
)
async def test_abusive_documents_over_http(aiohttp_client: Any, sqlite_demo_url: str, document: str) -> None:
    client = await _app(aiohttp_client, sqlite_demo_url)
    ids = await tenant_ids(sqlite_demo_url)
    response = await _post(client, make_token(ids[:1]), document)
    body = await response.json()
    assert response.status == 400
    assert "data" not in body  # refused before execution
    assert {e["extensions"]["code"] for e in body["errors"]} == {"QUERY_TOO_COMPLEX"}


@pytest.mark.parametrize("levels", [20, 24])
async def test_fragment_fan_out_is_refused_over_http(aiohttp_client: Any, sqlite_demo_url: str, levels: int) -> None:
    client = await _app(aiohttp_client, sqlite_demo_url)
    ids = await tenant_ids(sqlite_demo_url)
    for headers in ({"Authorization": f"Bearer {make_token(ids[:1])}"}, {}):  # with and without credentials
        response = await client.post("/graphql", json={"query": fan_out(levels)}, headers=headers)
        body = await response.json()
        assert response.status == 400
        assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COMPLEX"]
        assert body["errors"][0]["extensions"]["limit"] == "MAX_FIELD_NODES"
    assert (await client.get("/health")).status == 200
