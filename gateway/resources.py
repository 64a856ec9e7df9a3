"""One cleanup context per shared resource, opened at start-up and closed at shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from aiocache import BaseCache, RedisCache, SimpleMemoryCache
from aiohttp import web
from redis.asyncio import Redis

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
