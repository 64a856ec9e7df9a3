"""Every request of a credential is metered, and every answer to it says the same budget."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from auth.api_keys import create_key
from auth.tiers import Tier
from gateway.app import create_app
from gateway.database import create_engine
from gateway.settings import Settings
from tests.conftest import SECRET, make_token
from tests.gql import tenant_ids
from tests.test_query_limits import fan_out

JAN = '{from: "2026-01-01", to: "2026-01-31"}'
METRICS = f"{{ tenant {{ metrics(range: {JAN}) {{ sessions }} }} }}"  # costs 4
EXPENSIVE = "{ tenant { " + " ".join(
    f'q{i}: series(metric: SESSIONS, range: {{from: "2025-11-01", to: "2026-01-31"}}) {{ value }}' for i in range(12)
) + " } }"

# every kind of request that is refused or answered without running anything
REQUESTS: dict[str, dict[str, Any]] = {
    "unparsable document": {"json": {"query": "{ tenant {"}},
    "invalid document": {"json": {"query": "{ nope }"}},
    "too deep or wide (fan-out)": {"json": {"query": fan_out(20)}},
    "too expensive for the tier": {"json": {"query": EXPENSIVE}},
    "dry run": {"json": {"query": METRICS, "extensions": {"costDryRun": True}}},
    "bad variables": {"json": {"query": "query($id: ID!) { tenant(id: $id) { id } }", "variables": {}}},
    "JSON that is no object": {"data": b"42", "headers": {"Content-Type": "application/json"}},
    "form body": {"data": {"query": METRICS}},
    "executed": {"json": {"query": METRICS}},
}


def _tiers(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiers.toml"
    path.write_text(text)
    return path


async def _client(aiohttp_client: Any, url: str, tmp_path: Path, tiers: str) -> Any:
    settings = Settings(database_url=url, jwt_secret=SECRET, tiers_file=_tiers(tmp_path, tiers))
    return await aiohttp_client(create_app(settings))


def assert_budget_said(response: Any, body: dict[str, Any], points: int) -> dict[str, Any]:
    """The X-RateLimit-* headers and extensions.cost both describe the points budget."""
    cost = body["extensions"]["cost"]
    assert response.headers["X-RateLimit-Limit"] == str(cost["limit"]) == str(points)
    assert response.headers["X-RateLimit-Remaining"] == str(cost["remaining"])
    assert int(response.headers["X-RateLimit-Reset"]) > 0
    return cost


@pytest.mark.parametrize("kind", REQUESTS)
async def test_every_request_counts_and_says_the_budget(
    aiohttp_client: Any, sqlite_demo_url: str, tmp_path: Path, kind: str
) -> None:
    client = await _client(aiohttp_client, sqlite_demo_url, tmp_path, "[FREE]\nrequests_per_minute = 2\n")
    ids = await tenant_ids(sqlite_demo_url)
    headers = {"Authorization": f"Bearer {make_token(ids[:1], 'FREE', sub=uuid.uuid4().hex)}"}
    request = REQUESTS[kind]
    answers = []
    for _ in range(3):
        response = await client.post("/graphql", headers={**headers, **request.get("headers", {})},
                                     **{k: v for k, v in request.items() if k != "headers"})
        answers.append((response, await response.json()))
    for response, body in answers:
        assert_budget_said(response, body, points=3_000)
    assert answers[0][0].status == answers[1][0].status != 429
    refused, body = answers[2]
    assert refused.status == 429, f"{kind} was not metered"
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "2 requests per minute" in body["errors"][0]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


async def test_refusals_charge_no_points(aiohttp_client: Any, sqlite_demo_url: str, tmp_path: Path) -> None:
    client = await _client(aiohttp_client, sqlite_demo_url, tmp_path, "")
    ids = await tenant_ids(sqlite_demo_url)
    headers = {"Authorization": f"Bearer {make_token(ids[:1], 'FREE', sub=uuid.uuid4().hex)}"}
    for kind in ("unparsable document", "too expensive for the tier", "dry run"):
        response = await client.post("/graphql", headers=headers, **REQUESTS[kind])
        cost = assert_budget_said(response, await response.json(), points=3_000)
        assert cost["remaining"] == 3_000
    response = await client.post("/graphql", headers=headers, json={"query": METRICS})
    assert assert_budget_said(response, await response.json(), points=3_000)["remaining"] == 3_000 - 4


async def _remaining(client: Any, headers: dict[str, str]) -> int:
    response = await client.post("/graphql", headers=headers, json={"query": METRICS})
    return int(response.headers["X-RateLimit-Remaining"])


async def test_jwt_budgets_are_per_issuer_and_subject(aiohttp_client: Any, sqlite_demo_url: str, tmp_path: Path) -> None:
    client = await _client(aiohttp_client, sqlite_demo_url, tmp_path, "")
    ids = await tenant_ids(sqlite_demo_url)
    subject = uuid.uuid4().hex

    def bearer(**claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(ids[:1], 'FREE', sub=subject, **claims)}"}

    assert await _remaining(client, bearer(iss="https://a.example")) == 3_000 - 4
    assert await _remaining(client, bearer(iss="https://b.example")) == 3_000 - 4, "another issuer's user"
    assert await _remaining(client, bearer()) == 3_000 - 4, "no issuer is an issuer of its own"
    assert await _remaining(client, bearer(iss="https://a.example")) == 3_000 - 8, "the same user again"


async def test_api_keys_of_the_same_name_have_their_own_budgets(
    aiohttp_client: Any, empty_store_url: str, tmp_path: Path
) -> None:
    from loaders.store import create_schema

    engine = create_engine(Settings(database_url=empty_store_url))
    try:
        await create_schema(engine)
        # two customers' keys, both called "reporting" (points are charged before the tenant is read)
        keys = [(await create_key(engine, name="reporting", tier=Tier.FREE, tenant_ids=[tenant]))[0]
                for tenant in ("t-one", "t-two")]
    finally:
        await engine.dispose()
    client = await _client(aiohttp_client, empty_store_url, tmp_path, "")
    assert await _remaining(client, {"X-API-Key": keys[0]}) == 3_000 - 4
    assert await _remaining(client, {"X-API-Key": keys[1]}) == 3_000 - 4, "a namesake key shares no budget"
    assert await _remaining(client, {"X-API-Key": keys[0]}) == 3_000 - 8
