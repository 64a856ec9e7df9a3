"""One cleanup context per shared resource, opened at start-up and closed at shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from auth.limits import RateLimits, redis_storage
from gateway import appkeys
from gateway.database import create_engine
from live.broker import Broker, InProcessBroker
from live.redis_broker import RedisBroker
from live.service import Live
from live.slots import SubscriptionSlots
from live.writes import publisher
from ingest.queue import WriteQueue
from ingest.service import Ingestor


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


async def live_ctx(app: web.Application) -> AsyncIterator[None]:
    """The subscriptions' broker: Redis pub/sub across replicas with REDIS_URL, else in process."""
    settings = app[appkeys.SETTINGS]
    redis = app.get(appkeys.REDIS)
    broker: Broker
    if settings.redis_url is not None:
        broker = RedisBroker(settings.redis_url, settings.live_prefix, settings.live_queue_size, publisher=redis)
    else:
        broker = InProcessBroker(settings.live_queue_size)
    slots = SubscriptionSlots(redis, settings.live_prefix)
    await broker.start()
    await slots.start()
    app[appkeys.LIVE] = Live(broker, slots, settings.live_push_interval_seconds)
    listener = publisher(broker)
    app[appkeys.WRITE_LISTENERS].add(listener)
    yield
    app[appkeys.WRITE_LISTENERS].remove(listener)
    await slots.close()
    await broker.close()
async def ingest_ctx(app: web.Application) -> AsyncIterator[None]:
    """The write path. Listeners and versions exist from create_app on, so other contexts can register."""
    settings = app[appkeys.SETTINGS]
    queue = WriteQueue(settings.ingest_max_in_flight, settings.ingest_queue_size)
    app[appkeys.INGEST] = Ingestor(
        app[appkeys.ENGINE], settings.ingest_policy, queue, app[appkeys.WRITE_LISTENERS], app[appkeys.DATA_VERSIONS]
    )
    yield


async def close_writes(app: web.Application) -> None:
    """on_shutdown (SIGTERM): refuse new batches (503), let the admitted ones commit and answer."""
    if appkeys.INGEST in app:
        await app[appkeys.INGEST].queue.close(app[appkeys.SETTINGS].ingest_shutdown_seconds)
