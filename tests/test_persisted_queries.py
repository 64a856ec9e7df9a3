"""Automatic persisted queries (Apollo APQ) over HTTP, in memory and on a real Redis, and the
allow-list mode with its CLI."""

from __future__ import annotations

import hashlib
import json
import pickle
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from gateway.app import create_app
from gateway.media import GRAPHQL_RESPONSE_JSON
from gateway.settings import Settings
from tests import services
from tests.cli_runner import cli  # noqa: F401 - fixture
from tests.conftest import SECRET, make_token

TENANT = "t01-hotel-limmat-zurich"
DOCUMENT = "query Dash($id: ID) { tenant(id: $id) { id currency } viewer { tier } }"
VARIABLES = {"id": TENANT}


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def apq(key: str, **body: Any) -> dict[str, Any]:
    return {**body, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": key}}}


def auth(tier: str = "PROFESSIONAL", subject: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token([TENANT], tier, sub=subject or uuid.uuid4().hex)}"}


async def post(client: Any, body: dict[str, Any], headers: dict[str, str], accept: str = "application/json") -> tuple[int, dict]:  # noqa: ANN401
    response = await client.post("/graphql", json=body, headers={**headers, "Accept": accept})
    return response.status, json.loads(await response.text())


async def get(client: Any, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict]:  # noqa: ANN401
    params = {name: value if isinstance(value, str) else json.dumps(value) for name, value in body.items()}
    response = await client.get("/graphql", params=params, headers={**headers, "Accept": "application/json"})
    return response.status, json.loads(await response.text())


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, Any]]:
    """Settings for the document store: in-process memory, or Redis db 15 under a random prefix."""
    prefix = f"test:{uuid.uuid4().hex}:apq"
    if request.param == "memory":
        yield {"apq_key_prefix": prefix}
        return
    url = services.redis_url()
    yield {"redis_url": url, "apq_key_prefix": prefix}
    client = aioredis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def app_client(aiohttp_client: Any, url: str, **settings: Any) -> Any:  # noqa: ANN401
    return await aiohttp_client(create_app(Settings(database_url=url, jwt_secret=SECRET, **settings)))


async def test_unknown_hash_then_register_then_hash_alone(aiohttp_client, sqlite_demo_url: str, store: dict) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(aiohttp_client, sqlite_demo_url, **store)
    key, headers = sha(DOCUMENT), auth()
    status, body = await post(client, apq(key, variables=VARIABLES), headers)
    assert (status, codes(body), body["errors"][0]["message"]) == (200, ["PERSISTED_QUERY_NOT_FOUND"], "PersistedQueryNotFound")
    assert "data" not in body
    status, registered = await post(client, apq(key, query=DOCUMENT, variables=VARIABLES), headers)
    assert status == 200 and "errors" not in registered
    status, by_hash = await post(client, apq(key, variables=VARIABLES), headers)
    assert status == 200
    assert by_hash["data"] == registered["data"] == {"tenant": {"id": TENANT, "currency": "CHF"}, "viewer": {"tier": "PROFESSIONAL"}}
    status, over_get = await get(client, apq(key, variables=VARIABLES), headers)
    assert status == 200 and over_get["data"] == registered["data"]


async def test_registration_over_get(aiohttp_client, sqlite_demo_url: str, store: dict) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(aiohttp_client, sqlite_demo_url, **store)
    document = "{ viewer { subject } }"
    headers = auth(subject="getter")
    status, body = await get(client, apq(sha(document), query=document), headers)
    assert status == 200 and body["data"] == {"viewer": {"subject": "getter"}}
    status, body = await get(client, apq(sha(document)), headers)
    assert status == 200 and body["data"] == {"viewer": {"subject": "getter"}}


async def test_not_found_is_404_under_graphql_response_json(aiohttp_client, sqlite_demo_url: str, store: dict) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(aiohttp_client, sqlite_demo_url, **store)
    status, body = await post(client, apq(sha("{ nothing }")), auth(), accept=GRAPHQL_RESPONSE_JSON)
    assert (status, codes(body)) == (404, ["PERSISTED_QUERY_NOT_FOUND"])
    assert "data" not in body


@pytest.mark.parametrize(
    "extensions",
    [
        pytest.param({"persistedQuery": {"version": 1, "sha256Hash": sha("{ other }")}}, id="hash-of-another-document"),
        pytest.param({"persistedQuery": {"version": 2, "sha256Hash": sha(DOCUMENT)}}, id="version-2"),
        pytest.param({"persistedQuery": {"version": 1, "sha256Hash": "abc"}}, id="short-hash"),
        pytest.param({"persistedQuery": {"version": 1, "sha256Hash": sha(DOCUMENT).upper()}}, id="uppercase-hash"),
        pytest.param({"persistedQuery": {"version": 1}}, id="no-hash"),
        pytest.param({"persistedQuery": "yes"}, id="not-an-object"),
    ],
)
async def test_bad_persisted_query_extension_is_bad_user_input(aiohttp_client, sqlite_demo_url: str, extensions: dict) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(aiohttp_client, sqlite_demo_url)
    status, body = await post(client, {"query": DOCUMENT, "variables": VARIABLES, "extensions": extensions}, auth())
    assert (status, codes(body)) == (400, ["BAD_USER_INPUT"])
    assert "data" not in body
    # and nothing was stored under the claimed hash
    claimed = (extensions["persistedQuery"] or {}) if isinstance(extensions["persistedQuery"], dict) else {}
    if isinstance(claimed.get("sha256Hash"), str) and len(claimed["sha256Hash"]) == 64:
        status, body = await post(client, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": claimed["sha256Hash"].lower()}}}, auth())
        assert codes(body) in (["PERSISTED_QUERY_NOT_FOUND"], ["BAD_USER_INPUT"])


async def test_invalid_documents_are_not_registered(aiohttp_client, sqlite_demo_url: str, store: dict) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(aiohttp_client, sqlite_demo_url, **store)
    invalid = "{ viewer { noSuchField } }"
    status, body = await post(client, apq(sha(invalid), query=invalid), auth())
    assert status == 400 and codes(body) == ["BAD_USER_INPUT"]
    status, body = await post(client, apq(sha(invalid)), auth())
    assert codes(body) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_persisted_queries_need_credentials(aiohttp_client, sqlite_demo_url: str, store: dict) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(aiohttp_client, sqlite_demo_url, **store)
    document = "{ __typename }"
    for body in (apq(sha(document), query=document), apq(sha(document))):
        status, answer = await post(client, body, {})
        assert (status, codes(answer)) == (401, ["UNAUTHENTICATED"])


async def test_lookups_count_against_the_request_limit(aiohttp_client, sqlite_demo_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tiers = tmp_path / "tiers.toml"
    tiers.write_text("[FREE]\nrequests_per_minute = 3\n")
    client = await app_client(aiohttp_client, sqlite_demo_url, tiers_file=tiers)
    headers = auth("FREE")
    statuses = [(await post(client, apq(sha(f"{{ x{i} }}")), headers))[0] for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    status, body = await post(client, {"query": "{ viewer { tier } }"}, headers)
    assert (status, codes(body)) == (429, ["RATE_LIMITED"])


async def test_replicas_share_registrations_through_redis(aiohttp_client, sqlite_demo_url: str) -> None:  # type: ignore[no-untyped-def]
    url = services.redis_url()
    prefix = f"test:{uuid.uuid4().hex}:apq"
    first = await app_client(aiohttp_client, sqlite_demo_url, redis_url=url, apq_key_prefix=prefix)
    second = await app_client(aiohttp_client, sqlite_demo_url, redis_url=url, apq_key_prefix=prefix)
    key, headers = sha(DOCUMENT), auth()
    redis = aioredis.from_url(url)
    try:
        status, registered = await post(first, apq(key, query=DOCUMENT, variables=VARIABLES), headers)
        assert status == 200
        status, answer = await post(second, apq(key, variables=VARIABLES), headers)
        assert status == 200 and answer["data"] == registered["data"]
        stored = [k async for k in redis.scan_iter(match=f"*{prefix}:{key}")]  # under the cache's namespace
        assert len(stored) == 1
        assert pickle.loads(await redis.get(stored[0])) == DOCUMENT  # the shared cache pickles its values
        assert 0 < await redis.ttl(stored[0]) <= 7 * 86400
    finally:
        for stale in [k async for k in redis.scan_iter(match=f"*{prefix}:{key}")]:
            await redis.delete(stale)
        await redis.aclose()


async def test_store_outage_refuses_lookups_but_full_documents_still_run(aiohttp_client, sqlite_demo_url: str) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(aiohttp_client, sqlite_demo_url, redis_url="redis://127.0.0.1:1/15")
    key, headers = sha(DOCUMENT), auth()
    status, body = await post(client, apq(key, query=DOCUMENT, variables=VARIABLES), headers)
    assert status == 200 and body["data"]["tenant"]["id"] == TENANT
    status, body = await post(client, apq(key, variables=VARIABLES), headers)
    assert (status, codes(body)) == (503, ["SERVICE_UNAVAILABLE"])


# --- allow-list mode --------------------------------------------------------------------------


def apq_cli(cli, manifest: Path, *args: str):  # type: ignore[no-untyped-def]
    return cli("persisted-queries", *args, APQ_ALLOWLIST_FILE=str(manifest))


async def test_allowlist_runs_only_registered_documents(aiohttp_client, cli, sqlite_demo_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    manifest = tmp_path / "persisted-queries.json"
    source = tmp_path / "dash.graphql"
    source.write_text(DOCUMENT + "\n")
    done = apq_cli(cli, manifest, "add", str(source))
    assert done.returncode == 0, done.stderr
    registered = (DOCUMENT + "\n")
    assert sha(registered) in done.stdout
    client = await app_client(aiohttp_client, sqlite_demo_url, apq_allowlist=True, apq_allowlist_file=manifest)
    headers = auth()

    status, by_hash = await post(client, apq(sha(registered), variables=VARIABLES), headers)
    assert status == 200 and by_hash["data"]["tenant"]["id"] == TENANT
    status, in_full = await post(client, {"query": registered, "variables": VARIABLES}, headers)
    assert status == 200 and in_full["data"] == by_hash["data"]

    other = "{ viewer { subject } }"
    for body in ({"query": other}, apq(sha(other), query=other)):
        status, answer = await post(client, body, headers)
        assert (status, codes(answer)) == (403, ["FORBIDDEN"]), answer
        assert "data" not in answer
    status, answer = await post(client, apq(sha(other)), headers)
    assert codes(answer) == ["PERSISTED_QUERY_NOT_FOUND"]
    status, answer = await post(client, {"query": "{ __schema { queryType { name } } }"}, {})
    assert (status, codes(answer)) == (403, ["FORBIDDEN"]), "introspection is not registered either"

    # registered later by the CLI: picked up without a restart
    extra = tmp_path / "viewer.graphql"
    extra.write_text(other)
    assert apq_cli(cli, manifest, "add", str(extra)).returncode == 0
    status, answer = await post(client, {"query": other}, auth(subject="late"))
    assert status == 200 and answer["data"] == {"viewer": {"subject": "late"}}
    listed = apq_cli(cli, manifest, "list")
    assert sha(other) in listed.stdout and sha(registered) in listed.stdout


def test_cli_refuses_a_document_the_schema_does_not_accept(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    manifest = tmp_path / "persisted-queries.json"
    bad = tmp_path / "bad.graphql"
    bad.write_text("{ viewer { noSuchField } }")
    done = apq_cli(cli, manifest, "add", str(bad))
    assert done.returncode == 2 and "noSuchField" in done.stderr
    assert not manifest.exists()


def test_allowlist_without_its_file_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="APQ_ALLOWLIST_FILE"):
        Settings(apq_allowlist=True, apq_allowlist_file=tmp_path / "missing.json")


def test_a_tampered_manifest_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    manifest = tmp_path / "persisted-queries.json"
    manifest.write_text(json.dumps({sha("{ viewer { tier } }"): "{ tenants { id } }"}))
    done = apq_cli(cli, manifest, "list")
    assert done.returncode == 2 and "not the sha256 of its document" in done.stderr
