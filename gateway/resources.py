"""One cleanup context per shared resource, opened at start-up and closed at shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from auth.limits import RateLimits, redis_storage
from gateway import appkeys
from gateway.database import create_engine
from loaders.outage import DatabaseHealth


async def engine_ctx(app: web.Application) -> AsyncIterator[None]:
    engine = create_engine(app[appkeys.SETTINGS])
    app[appkeys.ENGINE] = engine
    app[appkeys.HEALTH] = DatabaseHealth(engine)
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
