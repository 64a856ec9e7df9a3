"""A database outage: 503 SERVICE_UNAVAILABLE for every credential, logged once, not charged."""

from __future__ import annotations

import logging
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import SECRET, make_token
from tests.test_http import _with_engine

QUERY = '{ tenant { metrics(range: {from: "2026-01-01", to: "2026-01-31"}) { sessions } } }'  # costs 4
UNREACHABLE = "mysql+aiomysql://gateway@127.0.0.1:1/analytics"


async def _post(client: Any, token: str) -> tuple[Any, dict[str, Any]]:
    response = await client.post("/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"})
    return response, await response.json()


@pytest.mark.parametrize("store", ["sqlite without tables", "unreachable MySQL"])
async def test_outage_is_503_logged_once_and_not_charged(
    aiohttp_client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture, store: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/store.db" if store.startswith("sqlite") else UNREACHABLE
    client = await aiohttp_client(create_app(Settings(database_url=url, jwt_secret=SECRET)))
    token = make_token(["t-one"], "FREE", sub=uuid.uuid4().hex)
    with caplog.at_level(logging.INFO):
        answers = [await _post(client, token) for _ in range(5)]
    for response, body in answers:
        assert response.status == 503, body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]
        assert "Traceback" not in str(body) and "sqlite" not in str(body).lower()
    remaining = [int(response.headers["X-RateLimit-Remaining"]) for response, _ in answers]
    # the request that found the outage was admitted and charged; none after it
    assert remaining == [3_000 - 4] * 5
    # the request path logs the outage once; no request logs a fault of its own (background
    # workers, such as the webhook poller, report their own failures)
    background = {"gateway.data"}  # the periodic rollup change check reports its own failures too
    request_path = [
        r for r in caplog.records
        if r.levelno >= logging.ERROR and r.name.startswith("gateway.") and r.name not in background
    ]
    assert [r.name for r in request_path] == ["gateway.database"], [r.getMessage() for r in request_path]


async def test_the_end_of_an_outage_is_noticed(aiohttp_client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from loaders.store import create_schema

    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    client = await aiohttp_client(create_app(Settings(database_url=url, jwt_secret=SECRET)))
    token = make_token(["t-one"], "FREE", sub=uuid.uuid4().hex)
    assert (await _post(client, token))[0].status == 503
    await _with_engine(url, create_schema)  # the operator runs init-db and loads the tenant
    with sqlite3.connect(tmp_path / "store.db") as conn:
        conn.execute("INSERT INTO tenants VALUES ('t-one', 'One', 'city_hotel', 'CH', 'USD')")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response, body = await _post(client, token)
        again, _ = await _post(client, token)
    assert response.status == again.status == 200, body
    assert body["data"]["tenant"]["metrics"]["sessions"] == 0
    recovered = [r for r in caplog.records if r.name == "gateway.database"]
    assert len(recovered) == 1 and "answers again" in recovered[0].getMessage()


async def test_ready_says_what_to_run_on_a_store_without_tables(aiohttp_client: Any, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    client = await aiohttp_client(create_app(Settings(database_url=url, jwt_secret=SECRET)))
    response = await client.get("/ready")
    body = await response.json()
    assert response.status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["tables"]["ok"] is False
    assert "analytics-gateway init-db" in body["checks"]["tables"]["detail"]
