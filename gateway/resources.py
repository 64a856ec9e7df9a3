"""One cleanup context per shared resource, opened at start-up and closed at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from auth.limits import RateLimits, redis_storage
from alerts.triggers import EvaluationQueue, run_schedule
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
    """The webhook worker and rule evaluations: background tasks, never inside a request.

    Once ingestion's write listeners exist, `queue.on_written` is the listener to register.
    """
    settings = app[appkeys.SETTINGS]
    engine = app[appkeys.ENGINE]
    worker = WebhookWorker(engine, delivery_policy(settings))
    queue = EvaluationQueue(engine, worker, settings.alert_recent_periods)
    app[appkeys.WEBHOOKS] = worker
    app[appkeys.ALERT_EVALUATIONS] = queue
    tasks = [asyncio.create_task(worker.run(), name="webhook-worker")]
    if settings.alert_eval_interval_seconds:
        tasks.append(asyncio.create_task(run_schedule(queue, settings.alert_eval_interval_seconds), name="alert-schedule"))
    yield
    await queue.close()
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
