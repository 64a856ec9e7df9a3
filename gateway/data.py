"""The periodic rollup change check, as a resource of the app (docs/performance.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from gateway import appkeys
from loaders.service import DataService
from telemetry.metrics import ROLLUP_REFRESHES

log = logging.getLogger(__name__)


async def rollup_check_ctx(app: web.Application) -> AsyncIterator[None]:
    data = app[appkeys.DATA]
    interval = app[appkeys.SETTINGS].rollup_check_seconds
    stop = asyncio.Event()
    checker = asyncio.create_task(_check_every(data, interval, stop)) if interval and data.rollups else None
    yield
    if checker is not None:
        # a check half-way through its SQL finishes first: cancelling it would leave the
        # driver answering a loop that is gone
        stop.set()
        await checker


async def _check_every(data: DataService, interval: float, stop: asyncio.Event) -> None:
    """Catch loads written behind the gateway's back: at start, then every `interval` seconds."""
    failing = False
    while not stop.is_set():
        try:
            changed = await data.check()
            ROLLUP_REFRESHES.labels("change_check").inc(len(changed - {""}))
            failing = False
        except Exception:  # noqa: BLE001 - a failed check is retried; logged once per outage
            if not failing:
                log.exception("rollup change check failed; retrying every %s s", interval)
            failing = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
