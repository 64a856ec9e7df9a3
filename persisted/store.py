"""Where registered documents live: Redis when configured (shared by replicas), else memory.

Keys are `<prefix>:<sha256 hex>`; values are the documents. Entries expire (`APQ_TTL_SECONDS`):
a client whose hash has gone simply gets PERSISTED_QUERY_NOT_FOUND and sends the document again.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from aiocache import RedisCache, SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.serializers import StringSerializer
from redis.asyncio import ConnectionPool, UnixDomainSocketConnection


def open_cache(redis_url: str | None, prefix: str) -> BaseCache:
    if redis_url is None:
        return SimpleMemoryCache(namespace=prefix, serializer=StringSerializer())
    return RedisCache(namespace=prefix, serializer=StringSerializer(), **redis_options(redis_url))


def redis_options(url: str) -> dict[str, object]:
    """aiocache 0.12's RedisCache takes host, port, db and password, not a URL."""
    parts = urlsplit(url)
    options: dict[str, object] = {"password": unquote(parts.password) if parts.password else None}
    pool_kwargs: dict[str, object] = {"username": unquote(parts.username)} if parts.username else {}
    if parts.scheme == "unix":
        db = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair).get("db", "0")
        options["db"] = int(db)
        # a socket path instead of host and port: build the pool aiocache would, for a socket
        options["connection_pool_class"] = _socket_pool(parts.path)
    else:
        options |= {"endpoint": parts.hostname or "127.0.0.1", "port": parts.port or 6379, "ssl": parts.scheme == "rediss"}
        db = parts.path.lstrip("/")
        options["db"] = int(db) if db else 0
    options["connection_pool_kwargs"] = pool_kwargs
    options["create_connection_timeout"] = 2
    return options


def _socket_pool(path: str):  # type: ignore[no-untyped-def]
    def pool(*, host: str, port: int, **kwargs: object) -> ConnectionPool:  # noqa: ARG001 - no host on a socket
        return ConnectionPool(connection_class=UnixDomainSocketConnection, path=path, **kwargs)

    return pool
