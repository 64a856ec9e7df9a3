"""One cleanup context per shared resource, opened at start-up and closed at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.limits import RateLimits, redis_storage
from alerts.evaluation import evaluate_all
from alerts.webhooks import DeliveryPolicy, WebhookWorker
from gateway import appkeys
from gateway.database import create_engine
from gateway.settings import Settings


async def engine_ctx(app: web.Application) -> AsyncIterator[None]:
    engine = create_engine(app[appkeys.SETTINGS])
    app[appkeys.ENGINE] = engine
    yield
    await engine.dispose()


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    url = app[appkeys.SETTINGS].redis_url
    if url is None:
        yield
        return
    client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2, health_check_interval=30)
    app[appkeys.REDIS] = client
    yield
    await client.aclose()


async def limits_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[appkeys.SETTINGS]
    storage = redis_storage(settings.redis_url) if settings.redis_url else None
    app[appkeys.LIMITS] = RateLimits(app[appkeys.TIERS], storage, settings.ip_attempts_per_minute)
    yield


log = logging.getLogger(__name__)


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        allow_private=settings.webhook_allow_private,
        allow_http=settings.webhook_allow_http,
        max_attempts=settings.webhook_max_attempts,
        backoff_seconds=settings.webhook_backoff_seconds,
        poll_seconds=settings.webhook_poll_seconds,
    )


async def alerts_ctx(app: web.Application) -> AsyncIterator[None]:
    """The webhook worker and the evaluation schedule: background tasks, never in a request."""
    settings = app[appkeys.SETTINGS]
    engine = app[appkeys.ENGINE]
    worker = WebhookWorker(engine, delivery_policy(settings))
    app[appkeys.WEBHOOKS] = worker
    tasks = [asyncio.create_task(worker.run(), name="webhook-worker")]
    if settings.alert_eval_interval_seconds:
        tasks.append(asyncio.create_task(_schedule(engine, worker, settings), name="alert-schedule"))
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _schedule(engine: AsyncEngine, worker: WebhookWorker, settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.alert_eval_interval_seconds)
        try:
            if await evaluate_all(engine, settings.alert_recent_periods):
                worker.wake()
        except Exception:  # the store may be briefly away: the next round tries again
            log.exception("scheduled alert evaluation failed")
