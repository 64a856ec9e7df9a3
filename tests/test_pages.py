"""Pages and static files: never counted against a limit, cached as they should be; the demo's links."""

from __future__ import annotations

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import SECRET


async def _client(aiohttp_client, url: str, **settings: object):  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(Settings(database_url=url, jwt_secret=SECRET, **settings)))


async def test_pages_and_assets_never_count_against_the_ip_limit(aiohttp_client, sqlite_demo_url) -> None:  # type: ignore[no-untyped-def]
    client = await _client(aiohttp_client, sqlite_demo_url, ip_attempts_per_minute=2)
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for _ in range(5):
        for path in ("/graphql", "/dashboard", "/static/vendor/graphiql@3.9.0/graphiql.min.css", "/static/shared/client.js"):
            response = await client.get(path, headers=html)
            assert response.status == 200, path
            await response.read()
    # the per-IP window is still untouched: two anonymous requests pass, the third is refused
    statuses = []
    for _ in range(3):
        response = await client.post("/graphql", json={"query": "{ __typename }"})
        statuses.append(response.status)
    assert statuses == [200, 200, 429]


async def test_vendored_files_are_cached_and_pages_are_not(aiohttp_client, sqlite_demo_url) -> None:  # type: ignore[no-untyped-def]
    client = await _client(aiohttp_client, sqlite_demo_url)
    vendor = await client.get("/static/vendor/react@18.3.1/react.production.min.js")
    assert vendor.status == 200 and "immutable" in vendor.headers["Cache-Control"]
    page = await client.get("/dashboard")
    assert page.status == 200 and page.headers["Cache-Control"] == "no-cache"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]
    graphiql = await client.get("/graphql", headers={"Accept": "text/html"})
    assert graphiql.headers["Content-Security-Policy"] == page.headers["Content-Security-Policy"]
    assert (await client.get("/static/../gateway/settings.py")).status in (403, 404)


def test_demo_prints_links_with_the_token_in_the_fragment() -> None:
    from gateway.cli import demo_links

    text = demo_links(Settings(host="0.0.0.0", port=9000), "abc.def.ghi")
    assert "http://127.0.0.1:9000/graphql#token=abc.def.ghi" in text.split()
    assert "http://127.0.0.1:9000/dashboard#token=abc.def.ghi" in text.split()
