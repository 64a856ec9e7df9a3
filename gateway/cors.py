"""Cross-origin access for browser pages on other origins, through aiohttp-cors.

Only exact origins from `CORS_ORIGINS` are allowed; none by default. Credentials travel in
headers (`Authorization`, `X-API-Key`), never cookies, so `allow_credentials` stays off.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp_cors
from aiohttp import web

ALLOW_HEADERS = ("Authorization", "X-API-Key", "Content-Type", "Accept", "X-Request-Id")
EXPOSE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After", "X-Request-Id")
PREFLIGHT_CACHE_SECONDS = 600


def parse_origins(value: object) -> tuple[str, ...]:
    """`https://a.example,http://localhost:3000` as a tuple; `*` and anything but an origin are refused."""
    items = value.split(",") if isinstance(value, str) else list(value or ())  # type: ignore[call-overload]
    origins = tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))
    for origin in origins:
        if "*" in origin:
            raise ValueError("`*` is not allowed: list each origin, e.g. https://dash.example.com")
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname or origin != f"{parts.scheme}://{parts.netloc}":
            raise ValueError(f"{origin!r} is not an origin like https://dash.example.com or http://localhost:3000")
    return origins


def allow_cross_origin(app: web.Application, origins: tuple[str, ...]) -> None:
    """CORS on every route registered so far except static files: call it last in create_app.

    Routes must be registered per method (`add_get`, `add_post`), not `"*"`, because
    aiohttp-cors adds its own OPTIONS handler to each resource for the preflight.
    """
    if not origins:
        return
    options = aiohttp_cors.ResourceOptions(
        allow_credentials=False,
        allow_headers=ALLOW_HEADERS,
        expose_headers=EXPOSE_HEADERS,
        allow_methods=("GET", "POST"),
        max_age=PREFLIGHT_CACHE_SECONDS,
    )
    cors = aiohttp_cors.setup(app, defaults={origin: options for origin in origins})
    for route in list(app.router.routes()):
        if not isinstance(route.resource, web.StaticResource):
            cors.add(route)
