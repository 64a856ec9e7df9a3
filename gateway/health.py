"""/health says the process is up; /ready says its dependencies answer (503 if not) and
whether the forecast workers are warm (informative: a cold worker only makes forecasts slower)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway import appkeys
from loaders.store import MissingTables, ping, require_tables

CHECK_TIMEOUT = 2.0


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    app = request.app
    checks = {"database": _database(app), "tables": lambda: require_tables(app[appkeys.DATA].engine)}
    redis = app[appkeys.DATA].redis
    if redis is not None:
        checks["redis"] = redis.ping
    results = {name: await _timed(check) for name, check in checks.items()}
    ok = all(result["ok"] for result in results.values())
    body = {
        "status": "ready" if ok else "unavailable",
        "checks": results,
        # times the shared rate-limit storage failed and this process limited on its own
        "rateLimitFallbacks": app[appkeys.LIMITS].fallbacks if appkeys.LIMITS in app else 0,
        # the live broker: kind, subscribers on this replica, Redis connection and reconnects
        "live": app[appkeys.LIVE].status() if appkeys.LIVE in app else None,
        # cold | warming | ready | failed: forecasts are answered in every state (cold and
        # warming ones wait for the workers to start), so it does not make /ready 503
        "forecasts": app[appkeys.FORECASTER].state if appkeys.FORECASTER in app else "cold",
    }
    return web.json_response(body, status=200 if ok else 503)


def _database(app: web.Application) -> Callable[[], Awaitable[object]]:
    return lambda: ping(app[appkeys.DATA].engine)


async def _timed(check: Callable[[], Awaitable[object]]) -> dict[str, object]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT)
        outcome: dict[str, object] = {"ok": True}
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"; the kind is reported
        outcome = {"ok": False, "error": type(error).__name__}
        if isinstance(error, MissingTables):
            outcome["detail"] = str(error)  # what the operator has to run
    outcome["latencyMs"] = round((time.perf_counter() - started) * 1000, 2)
    return outcome
