"""Browser pages: GraphiQL on GET /graphql, the example dashboard, and their static files.

None of these go through the GraphQL view, so loading them never counts against a limit.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

import web as assets

STATIC_PREFIX = "/static"
# vendored files carry their version in the path, so browsers may keep them; our own files may change
IMMUTABLE = "public, max-age=31536000, immutable"
# scripts only from this origin (the token must not leak to injected code); GraphiQL's stylesheet
# embeds its fonts and icons as data: URLs and its editor sets inline styles
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def graphiql_page() -> web.FileResponse:
    return _page(assets.GRAPHIQL_PAGE)


async def dashboard(_request: web.Request) -> web.FileResponse:
    return _page(assets.DASHBOARD_PAGE)


def _page(path: Path) -> web.FileResponse:
    # the token arrives in the URL fragment; no referrer and no framing keep it on this page
    return web.FileResponse(path, headers={
        "Cache-Control": "no-cache",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
    })


VENDOR = f"{STATIC_PREFIX}/vendor/"


async def _cache_vendor(request: web.Request, response: web.StreamResponse) -> None:
    if response.status == 200 and request.path.startswith(VENDOR):
        response.headers["Cache-Control"] = IMMUTABLE


def add_pages(app: web.Application) -> None:
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/dashboard/", dashboard)
    app.router.add_static(STATIC_PREFIX, assets.STATIC, follow_symlinks=False)
    app.on_response_prepare.append(_cache_vendor)
