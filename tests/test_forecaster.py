"""The app's Forecaster: warmed in the background at start-up, reported by /ready, stopped on cleanup."""

from __future__ import annotations

import asyncio
import time

from gateway import appkeys
from gateway.app import create_app
from gateway.settings import Settings
from resolvers.forecaster import Forecaster
from tests.conftest import SECRET

WARM_UP_LIMIT_S = 300  # a spawned worker importing statsmodels on a busy two-core machine


async def _until_ready(client) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WARM_UP_LIMIT_S
    while True:
        response = await client.get("/ready")
        body = await response.json()
        assert response.status == 200, body  # warming informs, it does not make /ready fail
        if body["forecasts"] != "warming" or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.2)


async def test_ready_reports_forecasts_warming_then_ready_and_cleanup_stops_the_workers(
    aiohttp_client, sqlite_demo_url: str  # type: ignore[no-untyped-def]
) -> None:
    app = create_app(Settings(database_url=sqlite_demo_url, jwt_secret=SECRET, forecast_warmup=True))
    client = await aiohttp_client(app)
    forecaster = app[appkeys.FORECASTER]
    first = await client.get("/ready")
    assert (await first.json())["forecasts"] in ("warming", "ready")  # the warm-up runs behind start-up
    assert (await client.get("/health")).status == 200
    body = await _until_ready(client)
    assert body["forecasts"] == "ready" and body["status"] == "ready"
    workers = list(forecaster.pool._pool._processes.values())  # type: ignore[union-attr]
    assert workers and all(worker.is_alive() for worker in workers)  # started and kept for requests
    await client.close()  # runs the app's cleanup contexts
    assert forecaster.pool._pool is None
    assert all(not worker.is_alive() and worker.exitcode is not None for worker in workers)


async def test_without_warm_up_forecasts_are_cold_until_asked(client) -> None:  # type: ignore[no-untyped-def]
    body = await (await client.get("/ready")).json()
    assert body["forecasts"] == "cold" and body["status"] == "ready"
    assert client.app[appkeys.FORECASTER].pool._pool is None  # nothing spawned


async def test_a_failing_warm_up_is_reported_not_fatal() -> None:
    def broken() -> None:
        raise RuntimeError("statsmodels is broken")

    forecaster = Forecaster(workers=1, warm_up=broken)
    forecaster.pool._threads_only = True  # a local function does not pickle into a process
    forecaster.start()
    assert forecaster.state == "warming"
    await forecaster._warming  # type: ignore[misc]
    assert forecaster.state == "failed"
    assert await forecaster.run(sum, [1, 2]) == 3  # fits still run
    await forecaster.close()
