"""One cleanup context per shared resource, opened at start-up and closed at shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from auth.limits import RateLimits, redis_storage
from gateway import appkeys
from gateway.database import create_engine
from persisted.allowlist import Allowlist
from persisted.protocol import PersistedQueries
from persisted.store import open_cache


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


async def persisted_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[appkeys.SETTINGS]
    cache = open_cache(settings.redis_url, settings.apq_key_prefix)
    allowlist = Allowlist(settings.apq_allowlist_file) if settings.apq_allowlist else None
    app[appkeys.PERSISTED] = PersistedQueries(cache, settings.apq_ttl_seconds, allowlist)
    yield
    client = getattr(cache, "client", None)  # aiocache 0.12 closes Redis with the deprecated close()
    await (client.aclose() if client is not None else cache.close())
