"""CORS: preflight and headers through aiohttp-cors, only for configured origins."""

from __future__ import annotations

import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import SECRET, make_token

ALLOWED = "http://localhost:3000"
TENANT = "t01-hotel-limmat-zurich"


async def _client(aiohttp_client, url: str, **settings: object):  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(Settings(database_url=url, jwt_secret=SECRET, **settings)))


def preflight(origin: str, headers: str = "authorization, content-type") -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": headers}


async def test_preflight_from_an_allowed_origin(aiohttp_client, sqlite_demo_url) -> None:  # type: ignore[no-untyped-def]
    client = await _client(aiohttp_client, sqlite_demo_url, cors_origins=(ALLOWED,))
    response = await client.options("/graphql", headers=preflight(ALLOWED, "authorization, x-api-key, content-type"))
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "x-api-key", "content-type"} <= allowed
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response.headers


async def test_response_to_an_allowed_origin_exposes_limit_headers(aiohttp_client, sqlite_demo_url) -> None:  # type: ignore[no-untyped-def]
    client = await _client(aiohttp_client, sqlite_demo_url, cors_origins=(ALLOWED,))
    response = await client.post("/graphql", json={"query": "{ viewer { subject } }"},
                                 headers={"Origin": ALLOWED, "Authorization": f"Bearer {make_token([TENANT])}"})
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After", "X-Request-Id"} <= exposed
    assert response.headers["X-RateLimit-Remaining"]


@pytest.mark.parametrize("origins", [(), ("https://dash.example.com",)], ids=["none", "other"])
async def test_other_origins_get_no_cors_headers(aiohttp_client, sqlite_demo_url, origins) -> None:  # type: ignore[no-untyped-def]
    client = await _client(aiohttp_client, sqlite_demo_url, cors_origins=origins)
    response = await client.options("/graphql", headers=preflight(ALLOWED))
    assert response.status in (403, 405)
    assert "Access-Control-Allow-Origin" not in response.headers
    response = await client.post("/graphql", json={"query": "{ viewer { subject } }"},
                                 headers={"Origin": ALLOWED, "Authorization": f"Bearer {make_token([TENANT])}"})
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_a_header_outside_the_list_is_refused_in_preflight(aiohttp_client, sqlite_demo_url) -> None:  # type: ignore[no-untyped-def]
    client = await _client(aiohttp_client, sqlite_demo_url, cors_origins=(ALLOWED,))
    response = await client.options("/graphql", headers=preflight(ALLOWED, "x-evil"))
    assert response.status == 403


@pytest.mark.parametrize("value", ["*", "http://localhost:3000,*", "http://localhost:3000/", "localhost:3000", "http://a.test/path"])
def test_star_and_non_origins_stop_start_up(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from pydantic import ValidationError

    from gateway.settings import describe

    monkeypatch.setenv("CORS_ORIGINS", value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    line = describe(caught.value)
    assert "CORS_ORIGINS" in line and "\n" not in line


def test_origins_are_split_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", " https://a.example , http://localhost:3000,")
    assert Settings().cors_origins == ("https://a.example", "http://localhost:3000")
    monkeypatch.setenv("CORS_ORIGINS", "")
    assert Settings().cors_origins == ()
