from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date

import pytest

from gateway.database import create_engine
from gateway.settings import Settings
from tests.services import fresh_store

BACKENDS = ["sqlite", "mariadb"]
# small but complete: every segment, currencies, a year boundary
DEMO = {"tenants": 6, "days": 150, "seed": 7, "end": date(2026, 2, 10)}


@pytest.fixture(params=BACKENDS)
def empty_store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A URL of an empty database (no tables) on SQLite and on MariaDB."""
    with fresh_store(request.param, str(tmp_path)) as url:
        yield url


async def _seed(url: str) -> None:
    from demo.seeding import seed_store

    engine = create_engine(Settings(database_url=url))
    try:
        await seed_store(engine, progress=False, **DEMO)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small demo store on SQLite, seeded once per test session (read-only for tests)."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('demo')}/demo.db"
    asyncio.run(_seed(url))
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def demo_store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The small demo store on each backend, seeded once per session (read-only for tests)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_demo_url")
        return
    with fresh_store("mariadb", str(tmp_path_factory.mktemp("maria"))) as url:
        asyncio.run(_seed(url))
        yield url


SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


def make_token(tenants: list[str], tier: str = "PROFESSIONAL", secret: str = SECRET, **claims: object) -> str:
    import time

    import jwt

    now = int(time.time())
    payload = {"sub": "tester", "tier": tier, "tenants": tenants, "iat": now, "exp": now + 600, **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


@pytest.fixture
async def client(aiohttp_client, sqlite_demo_url: str):  # type: ignore[no-untyped-def]
    """The real app over the SQLite demo store, through aiohttp's test server."""
    from gateway.app import create_app

    return await aiohttp_client(create_app(Settings(database_url=sqlite_demo_url, jwt_secret=SECRET)))
