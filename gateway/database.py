"""Building the async engine for SQLite or MySQL/MariaDB."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gateway.settings import Settings

T = TypeVar("T")


GROUP_CONCAT_MAX_LEN = 64 * 1024 * 1024


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        path = settings.sqlite_path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(settings.database_url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_pre_ping=True,
        # MariaDB closes idle connections after wait_timeout (8 h by default)
        pool_recycle=3600,
    )
    event.listen(engine.sync_engine, "connect", _mysql_session)
    return engine


async def with_engine(settings: Settings, action: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Runs `action(engine, *args)` on a fresh engine, disposed afterwards (CLI commands)."""
    engine = create_engine(settings)
    try:
        return await action(engine, *args)
    finally:
        await engine.dispose()


def _mysql_session(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # traffic packs are read a week per row (loaders/traffic_packs.weeks_query): the default
    # 1 MB would cut a busy tenant's week short (then read again a day per row)
    cursor.execute(f"SET SESSION group_concat_max_len = {GROUP_CONCAT_MAX_LEN}")
    cursor.close()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # readers keep reading while the seed or a loader writes
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
