"""Building the aiocache backend from REDIS_URL (aiocache 0.12 takes host and port, not a URL)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from aiocache import RedisCache, SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.serializers import PickleSerializer

# Namespace of every key this gateway writes to a shared Redis.
NAMESPACE = "gw:cache:"


def redis_options(url: str) -> dict[str, object]:
    """RedisCache keyword arguments for a redis:// or rediss:// URL (db from the path)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"the result cache needs a redis:// or rediss:// URL, not {parts.scheme}://")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise ValueError(f"the database in {url!r} must be a number")
    return {
        "endpoint": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(path or 0),
        "password": unquote(parts.password) if parts.password else None,
        "ssl": parts.scheme == "rediss",
    }


def open_backend(
    redis_url: str | None, namespace: str = NAMESPACE, timeout: float = 0.5
) -> tuple[str, BaseCache]:
    """(layer name, cache). Redis values are pickled: only the gateway writes under its namespace."""
    if redis_url is None:
        return "memory", SimpleMemoryCache(namespace=namespace)
    options = redis_options(redis_url)
    cache = RedisCache(
        serializer=PickleSerializer(),
        namespace=namespace,
        timeout=timeout,
        create_connection_timeout=timeout,
        **options,
    )
    return "redis", cache
