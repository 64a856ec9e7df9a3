"""A page on another origin (a second local server) calls the API from Chromium: allowed or blocked by CORS_ORIGINS."""

from __future__ import annotations

import json

import pytest
from aiohttp import web

from tests.browser import chromium, serve
from tests.conftest import make_token

pytestmark = pytest.mark.browser
TENANT = "t01-hotel-limmat-zurich"

PAGE = """<!doctype html><title>other origin</title><script>
window.result = fetch(%(api)s, {
  method: "POST",
  headers: {"Content-Type": "application/json", "Authorization": %(auth)s},
  body: JSON.stringify({query: "{ viewer { tenantIds } }"}),
}).then(async (r) => ({ok: true, status: r.status, remaining: r.headers.get("X-RateLimit-Remaining"),
                       requestId: r.headers.get("X-Request-Id"), body: await r.json()}))
  .catch((e) => ({ok: false, error: String(e)}));
</script>"""


async def _other_origin(aiohttp_server, target: dict[str, str]):  # type: ignore[no-untyped-def]
    """A second server whose page calls `target["api"]` (filled in once the API is up)."""

    async def page(_request: web.Request) -> web.Response:
        html = PAGE % {"api": json.dumps(target["api"]), "auth": json.dumps(f"Bearer {target['token']}")}
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    return await aiohttp_server(app)


@pytest.mark.parametrize("allowed", [True, False], ids=["listed", "not-listed"])
async def test_cross_origin_fetch(aiohttp_server, sqlite_demo_url, tmp_path, allowed: bool) -> None:  # type: ignore[no-untyped-def]
    target = {"token": make_token([TENANT])}
    pages = await _other_origin(aiohttp_server, target)
    origin = f"http://127.0.0.1:{pages.port}"
    api = await serve(aiohttp_server, sqlite_demo_url, cors_origins=(origin,) if allowed else ("http://localhost:3000",))
    target["api"] = str(api.make_url("/graphql"))

    async with chromium(tmp_path / "profile") as browser:
        page = await browser.page()
        await page.goto(origin + "/")
        result = await page.evaluate("window.result")
    if allowed:
        assert result["ok"] and result["status"] == 200, result
        assert result["body"]["data"] == {"viewer": {"tenantIds": [TENANT]}}
        assert result["remaining"] is not None and result["requestId"]  # exposed to the page
    else:
        assert not result["ok"] and "Failed to fetch" in result["error"], result
