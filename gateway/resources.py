"""One cleanup context per shared resource, opened at start-up and closed at shutdown."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from aiocache import BaseCache, RedisCache, SimpleMemoryCache
from aiocache.serializers import PickleSerializer
from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from alerts.triggers import EvaluationQueue, run_schedule
from alerts.webhooks import DeliveryPolicy, WebhookWorker
from cache.results import ResultCache
from auth.limits import RateLimits, redis_storage
from auth.push_meter import PushMeter
from core.tasks import cancelled
from gateway import appkeys
from gateway.credential_watch import CredentialWatch
from gateway.database import create_engine
from gateway.live_writes import publisher
from gateway.responses import ResponseCache
from gateway.settings import Settings
from ingest.queue import WriteQueue
from ingest.service import Ingestor
from live.broker import Broker, InProcessBroker
from live.groups import Groups
from live.redis_broker import RedisBroker
from live.service import Live
from live.slots import SubscriptionSlots
from cache.flights import Flights
from loaders.cached import Ttl
from loaders.service import DataService
from loaders.versions import DataVersions
from persisted.allowlist import Allowlist
from persisted.protocol import PersistedQueries
from resolvers.forecast_fit import warm_up
from resolvers.forecaster import Forecaster


async def data_ctx(app: web.Application) -> AsyncIterator[None]:
    """The data service: engine, the one Redis client, the result cache and data versions."""
    settings = app[appkeys.SETTINGS]
    redis = _redis(settings)
    service = DataService(
        create_engine(settings),
        redis,
        _cache(settings, redis),
        DataVersions(redis),
        rollups=settings.rollups,
        caching=settings.cache,
        ttl=Ttl(closed=settings.cache_ttl_closed_seconds, open=settings.cache_ttl_open_seconds),
    )
    app[appkeys.DATA] = service
    if settings.cache and settings.response_cache:
        # its own layer in the cache metrics, over the same backend
        responses = ResultCache(service.cache, "response")
        app[appkeys.RESPONSES] = ResponseCache(
            responses, service.versions, service.ttl, Flights(responses.layer), service.replica_flights(responses)
        )
    yield
    await service.close()


async def forecaster_ctx(app: web.Application) -> AsyncIterator[None]:
    """Forecast workers, their fits and readiness; warmed in the background so start-up (and
    /health) does not wait for statsmodels' import."""
    forecaster = Forecaster(warm_up=warm_up if app[appkeys.SETTINGS].forecast_warmup else None)
    forecaster.start()
    app[appkeys.FORECASTER] = forecaster
    yield
    await forecaster.close()


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


async def persisted_ctx(app: web.Application) -> AsyncIterator[None]:
    """Automatic persisted queries, in the data service's shared cache (Redis or memory)."""
    settings = app[appkeys.SETTINGS]
    allowlist = Allowlist(settings.apq_allowlist_file) if settings.apq_allowlist else None
    app[appkeys.PERSISTED] = PersistedQueries(
        app[appkeys.DATA].cache, settings.apq_key_prefix, settings.apq_ttl_seconds, allowlist
    )
    yield


# the format of cached values (pickled loader rows): bumped when their classes change, so a
# release never reads what an earlier one wrote to a shared Redis
CACHE_FORMAT = 2


def cache_namespace(settings: Settings) -> str:
    """The configured prefix, the value format and the store's identity: two stores never share
    cache entries, even when they share a Redis and their tenant ids (tests, staging next to
    production)."""
    store = make_url(settings.database_url).render_as_string(hide_password=True)
    return f"{settings.cache_namespace}v{CACHE_FORMAT}:{hashlib.sha256(store.encode()).hexdigest()[:12]}:"


def _redis(settings: Settings) -> Redis | None:
    if settings.redis_url is None:
        return None
    # bytes, not str: aiocache stores pickled values through this same client
    return Redis.from_url(
        settings.redis_url, socket_connect_timeout=1, socket_timeout=1, health_check_interval=30, decode_responses=False
    )


def _cache(settings: Settings, redis: Redis | None) -> BaseCache:
    if redis is None or settings.redis_url is None:
        # no timeout: memory cannot hang, and aiocache's timeout is a task per call (wait_for)
        return SimpleMemoryCache(timeout=None)
    url = urlsplit(settings.redis_url)
    cache = RedisCache(
        endpoint=url.hostname or "127.0.0.1",
        port=url.port or 6379,
        # loader results are dataclasses; only the gateway writes under this namespace
        serializer=PickleSerializer(),
        namespace=cache_namespace(settings),
        timeout=1,
    )
    # aiocache 0.12 builds its own client from host and port only (no URL, no TLS, no socket);
    # it gets the app's client instead, so one pool serves limits, cache and versions alike
    cache.client = redis
    return cache


async def live_ctx(app: web.Application) -> AsyncIterator[None]:
    """The subscriptions' broker: Redis pub/sub across replicas with REDIS_URL, else in process."""
    settings = app[appkeys.SETTINGS]
    redis = app[appkeys.DATA].redis
    broker: Broker
    if settings.redis_url is not None:
        broker = RedisBroker(settings.redis_url, settings.live_prefix, settings.live_queue_size, publisher=redis)
    else:
        broker = InProcessBroker(settings.live_queue_size)
    slots = SubscriptionSlots(redis, settings.live_prefix)
    await broker.start()
    await slots.start()
    meter = PushMeter(app[appkeys.LIMITS])
    await meter.start()
    groups = Groups(broker, settings.live_queue_size)
    app[appkeys.LIVE] = Live(broker, slots, settings.live_push_interval_seconds, groups, meter)
    watch = CredentialWatch(app[appkeys.AUTHENTICATOR], app[appkeys.DATA], settings.live_recheck_seconds)
    await watch.start()
    app[appkeys.CREDENTIAL_WATCH] = watch
    listener = publisher(broker)
    app[appkeys.WRITE_LISTENERS].add(listener)
    yield
    app[appkeys.WRITE_LISTENERS].remove(listener)
    await watch.close()
    groups.close()
    await meter.close()
    await slots.close()
    await broker.close()


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
    """The webhook worker and rule evaluations: background tasks, never inside a request."""
    settings = app[appkeys.SETTINGS]
    engine = app[appkeys.DATA].engine
    worker = WebhookWorker(engine, delivery_policy(settings))
    # firings are pushed to alertFired subscribers through the live broker (live_ctx starts later)
    queue = EvaluationQueue(engine, worker, settings.alert_recent_periods,
                            broker=lambda: app[appkeys.LIVE].broker if appkeys.LIVE in app else None)
    app[appkeys.WEBHOOKS] = worker
    app[appkeys.ALERT_EVALUATIONS] = queue
    app[appkeys.WRITE_LISTENERS].add(queue.on_written)  # rules are evaluated when data lands
    delivering = asyncio.create_task(worker.run(), name="webhook-worker")
    schedule = None
    if settings.alert_eval_interval_seconds:
        schedule = asyncio.create_task(run_schedule(queue, settings.alert_eval_interval_seconds), name="alert-schedule")
    yield
    await cancelled(schedule)  # it only sleeps between requests
    # stop without cutting a statement or a post in half: a task cancelled mid-query leaves
    # its database thread answering an event loop that is gone
    await queue.close()
    worker.stop()
    try:
        await asyncio.wait_for(asyncio.shield(delivering), WORKER_GRACE_SECONDS)
    except TimeoutError:
        await cancelled(delivering)


async def ingest_ctx(app: web.Application) -> AsyncIterator[None]:
    """The write path: the data service's engine and versions, the app's write listeners, one queue."""
    settings = app[appkeys.SETTINGS]
    queue = WriteQueue(settings.ingest_max_in_flight, settings.ingest_queue_size)
    app[appkeys.INGEST] = Ingestor(
        app[appkeys.DATA].engine, settings.ingest_policy, queue, app[appkeys.WRITE_LISTENERS], app[appkeys.DATA].versions
    )
    yield


async def close_writes(app: web.Application) -> None:
    """on_shutdown (SIGTERM): refuse new batches (503), let the admitted ones commit and answer."""
    if appkeys.INGEST in app:
        await app[appkeys.INGEST].queue.close(app[appkeys.SETTINGS].ingest_shutdown_seconds)
