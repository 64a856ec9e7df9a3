"""`analytics-gateway keys create|list|revoke` as a subprocess, on SQLite and MariaDB."""

from __future__ import annotations

import asyncio
import hashlib
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import SECRET

ROOT = Path(__file__).resolve().parent.parent
KEY = re.compile(r"agw_[0-9a-f]{12}_[0-9A-Za-z]{43}")
VIEWER = "{ viewer { kind subject tier tenantIds } }"


def keys(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "gateway.cli", "keys", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def create(url: str, *args: str) -> str:
    done = keys(url, "create", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_create_prints_only_the_key_and_list_never_shows_it(empty_store_url: str) -> None:
    # the store is empty: `keys create` makes the tables itself
    stdout = create(empty_store_url, "--tenant", "t-a", "--tenant", "t-b", "--tier", "ENTERPRISE",
                    "--name", "Partner A", "--expires", "90d")
    key = stdout.strip()
    assert stdout == key + "\n" and KEY.fullmatch(key), stdout
    create(empty_store_url, "--tenant", "t-c", "--tier", "free", "--name", "Partner C")

    listed = keys(empty_store_url, "list")
    assert listed.returncode == 0, listed.stderr
    output = listed.stdout + listed.stderr
    secret = key.rsplit("_", 1)[1]
    for leak in (key, secret, hashlib.sha256(key.encode()).hexdigest()):
        assert leak not in output
    header, *rows = listed.stdout.strip().splitlines()
    assert header.split()[:5] == ["PREFIX", "NAME", "TIER", "TENANTS", "STATUS"]
    assert len(rows) == 2
    first = rows[0]
    assert first.startswith(key[:16] + " ")
    for expected in ("Partner A", "ENTERPRISE", "t-a,t-b", "active"):
        assert expected in first, first
    expires = (datetime.now(UTC) + timedelta(days=90)).strftime("%Y-%m-%d")
    assert expires in first or (datetime.now(UTC) + timedelta(days=90, minutes=-2)).strftime("%Y-%m-%d") in first
    assert "Partner C" in rows[1] and "FREE" in rows[1]


def test_bad_arguments_exit_2_and_create_nothing(empty_store_url: str) -> None:
    for args in (["--tenant", "a", "--tier", "GOLD", "--name", "n"], ["--tier", "FREE", "--name", "n"],
                 ["--tenant", "a", "--tier", "FREE", "--name", "n", "--expires", "soon"]):
        done = keys(empty_store_url, "create", *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert not KEY.search(done.stdout + done.stderr)
    listed = keys(empty_store_url, "list")
    assert listed.returncode == 0 and listed.stdout.strip() == "no API keys", listed.stderr


async def test_cli_key_works_on_the_app_until_revoked(aiohttp_client, empty_store_url: str) -> None:  # type: ignore[no-untyped-def]
    key = create(empty_store_url, "--tenant", "t-a", "--tier", "PROFESSIONAL", "--name", "cli partner").strip()
    client = await aiohttp_client(create_app(Settings(database_url=empty_store_url, jwt_secret=SECRET)))
    response = await client.post("/graphql", json={"query": VIEWER}, headers={"X-API-Key": key})
    assert {k: v for k, v in (await response.json()).items() if k != "extensions"} == {"data": {"viewer": {
        "kind": "API_KEY", "subject": "cli partner", "tier": "PROFESSIONAL", "tenantIds": ["t-a"]}}}

    prefix = key[:16]
    # in a thread: the app keeps running meanwhile (its last-used write may still be committing),
    # as it does while an operator revokes a key
    revoked = await asyncio.to_thread(keys, empty_store_url, "revoke", prefix)
    assert revoked.returncode == 0 and revoked.stdout.strip() == f"revoked {prefix}", revoked.stderr
    response = await client.post("/graphql", json={"query": VIEWER}, headers={"X-API-Key": key})
    assert response.status == 401
    assert (await response.json())["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    again = await asyncio.to_thread(keys, empty_store_url, "revoke", prefix)
    assert again.returncode == 0 and "already revoked" in again.stdout
    listed = (await asyncio.to_thread(keys, empty_store_url, "list")).stdout
    assert "revoked" in listed.splitlines()[1] and key not in listed
    unknown = await asyncio.to_thread(keys, empty_store_url, "revoke", "agw_000000000000")
    assert unknown.returncode == 1 and "no API key" in unknown.stderr
