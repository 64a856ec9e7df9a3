"""Reaching the real MariaDB and Redis for tests: skip when absent, fail in CI."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

REQUIRED = os.environ.get("GATEWAY_REQUIRE_SERVICES", "") == "1"
MYSQL_URL = os.environ.get("TEST_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def unavailable(what: str, error: BaseException) -> None:
    message = f"{what} is not reachable: {error!r}"
    if REQUIRED:
        pytest.fail(message + " (GATEWAY_REQUIRE_SERVICES=1 makes this a failure)")
    pytest.skip(message)


async def _admin(sql: str) -> None:
    engine = create_async_engine(MYSQL_URL)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(sql)
    finally:
        await engine.dispose()


async def _drop(name: str) -> None:
    """Drop the database, first ending any connection a test leaked into it.

    A connection left open by a test whose event loop closed can hold a metadata lock for
    ever, and DROP DATABASE would wait on it instead of failing.
    """
    engine = create_async_engine(MYSQL_URL)
    try:
        async with engine.begin() as conn:
            leaked = await conn.exec_driver_sql(
                "SELECT id FROM information_schema.processlist WHERE db = %s AND id <> CONNECTION_ID()", (name,)
            )
            for (connection_id,) in leaked.all():
                try:
                    await conn.exec_driver_sql(f"KILL {int(connection_id)}")
                except Exception:  # noqa: BLE001 - it may have gone by itself meanwhile
                    pass
            await conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
    finally:
        await engine.dispose()


@contextmanager
def mariadb_database() -> Iterator[str]:
    """A fresh, empty database on the MariaDB server, dropped afterwards; yields its URL."""
    name = f"gw_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_admin(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    except Exception as error:  # noqa: BLE001 - any failure to connect means "not reachable"
        unavailable("MariaDB at " + MYSQL_URL, error)
    base = MYSQL_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_drop(name))


def redis_url() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
        client.close()
    except Exception as error:  # noqa: BLE001
        unavailable("Redis at " + REDIS_URL, error)
    return REDIS_URL


@contextmanager
def fresh_store(backend: str, directory: str) -> Iterator[str]:
    """An empty store URL of the given backend ("sqlite" or "mariadb")."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{directory}/store.db"
    else:
        with mariadb_database() as url:
            yield url
