"""SIGTERM drains: a request under way when the signal arrives is answered, then the process exits 0."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import SECRET, make_token
from tests.gql import tenant_ids
from tests.test_cli_startup import ROOT, free_port


def _wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not come up")


def _hold_the_store(store: Path) -> sqlite3.Connection:
    """An exclusive lock on the store: the server's read waits (busy_timeout) until it is released."""
    holder = sqlite3.connect(store, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE tenants SET name = name")
    return holder


async def _request_under_way(port: int, body: bytes, token: str, process: subprocess.Popen[bytes], store: Path) -> bytes:
    """The request reaches the server, which waits on the store; SIGTERM arrives; the store frees up."""
    holder = _hold_the_store(store)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n")
    writer.write(head.encode() + body)
    await writer.drain()
    await asyncio.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    await asyncio.sleep(1.0)
    assert process.poll() is None, "the server quit with a request under way"
    holder.execute("ROLLBACK")
    holder.close()
    answer = await asyncio.wait_for(reader.read(), 30)
    writer.close()
    return answer


def _assert_large_credentials_reach_the_gateway(port: int) -> None:
    """`serve` raises aiohttp's header limits: a 12 KB token gets the coded 401, not a plain 400."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=b'{"query": "{ viewer { subject } }"}', method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + "x" * 12_000},
    )
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as error:
        assert error.code == 401 and json.loads(error.read())["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    else:
        raise AssertionError("a 12 KB token was accepted")


async def test_sigterm_lets_the_request_under_way_finish(sqlite_demo_url: str, tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    shutil.copy(sqlite_demo_url.split("///", 1)[1], store)
    ids = await tenant_ids(sqlite_demo_url)
    port = free_port()
    env = {"PATH": os.environ["PATH"], "JWT_SECRET": SECRET, "DATABASE_URL": f"sqlite+aiosqlite:///{store}",
           "PORT": str(port), "SHUTDOWN_TIMEOUT": "20"}
    # the real entry point, exec'd as the container's PID 1 would be
    process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_until_up(port, process)
        _assert_large_credentials_reach_the_gateway(port)
        body = json.dumps({"query": "query($id: ID!) { tenant(id: $id) { id name } }", "variables": {"id": ids[0]}})
        answer = await _request_under_way(port, body.encode(), make_token(ids[:1]), process, store)
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 200"), answer[:300]
        payload = json.loads(rest.split(b"\r\n\r\n", 1)[1])
        assert payload["data"]["tenant"]["id"] == ids[0] and "errors" not in payload, payload
        assert process.wait(timeout=30) == 0, process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
