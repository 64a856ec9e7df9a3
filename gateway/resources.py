"""One cleanup context per shared resource, opened at start-up and closed at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from aiocache import BaseCache, RedisCache, SimpleMemoryCache
from aiohttp import web
from redis.asyncio import Redis

from alerts.triggers import EvaluationQueue, run_schedule
from alerts.webhooks import DeliveryPolicy, WebhookWorker
from auth.limits import RateLimits, redis_storage
from gateway import appkeys
from gateway.database import create_engine
from gateway.settings import Settings
from loaders.service import DataService
from loaders.versions import DataVersions


async def data_ctx(app: web.Application) -> AsyncIterator[None]:
    """The data service: engine, the one Redis client, the result cache and data versions."""
    settings = app[appkeys.SETTINGS]
    redis = _redis(settings)
    service = DataService(create_engine(settings), redis, _cache(settings, redis), DataVersions(redis))
    app[appkeys.DATA] = service
    yield
    await service.close()


async def limits_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[appkeys.SETTINGS]
    redis = app[appkeys.DATA].redis
    storage = None if redis is None else redis_storage(settings.redis_url or "", redis)
    app[appkeys.LIMITS] = RateLimits(app[appkeys.TIERS], storage, settings.ip_attempts_per_minute)
    yield


async def authenticator_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    # last_used writes of API keys finish before the engine is disposed (cleanup runs in reverse)
    await app[appkeys.AUTHENTICATOR].drain()


def _redis(settings: Settings) -> Redis | None:
    if settings.redis_url is None:
        return None
    # bytes, not str: aiocache stores pickled values through this same client
    return Redis.from_url(
        settings.redis_url, socket_connect_timeout=1, socket_timeout=1, health_check_interval=30, decode_responses=False
    )


def _cache(settings: Settings, redis: Redis | None) -> BaseCache:
    if redis is None or settings.redis_url is None:
        return SimpleMemoryCache()
    url = urlsplit(settings.redis_url)
    cache = RedisCache(endpoint=url.hostname or "127.0.0.1", port=url.port or 6379)
    # aiocache 0.12 builds its own client from host and port only (no URL, no TLS, no socket);
    # it gets the app's client instead, so one pool serves limits, cache and versions alike
    cache.client = redis
    return cache


WORKER_GRACE_SECONDS = 15.0  # a delivery round under way: posts time out after 10 s


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
    engine = app[appkeys.DATA].engine
    worker = WebhookWorker(engine, delivery_policy(settings))
    queue = EvaluationQueue(engine, worker, settings.alert_recent_periods)
    app[appkeys.WEBHOOKS] = worker
    app[appkeys.ALERT_EVALUATIONS] = queue
    delivering = asyncio.create_task(worker.run(), name="webhook-worker")
    schedule = None
    if settings.alert_eval_interval_seconds:
        schedule = asyncio.create_task(run_schedule(queue, settings.alert_eval_interval_seconds), name="alert-schedule")
    yield
    if schedule is not None:  # it only sleeps between requests
        schedule.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await schedule
    # stop without cutting a statement or a post in half: a task cancelled mid-query leaves
    # its database thread answering an event loop that is gone
    await queue.close()
    worker.stop()
    try:
        await asyncio.wait_for(asyncio.shield(delivering), WORKER_GRACE_SECONDS)
    except TimeoutError:
        delivering.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await delivering
