"""GET /metrics (Prometheus text format) and the resources that feed it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from gateway import appkeys
from telemetry.instruments import LoopStallMonitor, instrument_engine

STALLS = web.AppKey("loop_stalls", LoopStallMonitor)


async def metrics(_request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest(REGISTRY))
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    response.charset = "utf-8"
    return response


async def telemetry_ctx(app: web.Application) -> AsyncIterator[None]:
    instrument_engine(app[appkeys.DATA].engine)
    monitor = LoopStallMonitor()
    app[STALLS] = monitor
    monitor.start()
    yield
    await monitor.stop()
