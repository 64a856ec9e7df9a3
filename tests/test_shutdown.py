"""SIGTERM drains: a request under way when the signal arrives is answered, then the process exits 0."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from tests import services
from tests.conftest import SECRET, make_token
from tests.server_process import free_port, serve
from tests.test_http import _with_engine


def _hold_the_store(url: str) -> Any:
    """LOCK TABLES on MariaDB: the server's read of `tenants` waits until the lock is released."""
    import pymysql

    parts = urlsplit(url)
    holder = pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username or "root",
                             password=parts.password or "", database=parts.path.lstrip("/"), autocommit=True)
    holder.cursor().execute("LOCK TABLES tenants WRITE")
    return holder


async def _request_under_way(port: int, body: bytes, token: str, process: subprocess.Popen[bytes], url: str) -> bytes:
    """The request reaches the server, which waits on the store; SIGTERM arrives; the store frees up."""
    holder = _hold_the_store(url)
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
    holder.cursor().execute("UNLOCK TABLES")
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


def test_sigterm_lets_the_request_under_way_finish() -> None:
    from loaders.store import create_schema

    with services.mariadb_database() as url:  # MariaDB: LOCK TABLES holds the request up
        asyncio.run(_with_engine(url, create_schema))
        asyncio.run(_with_engine(url, lambda engine: _add_tenant(engine, "t-drain")))
        port = free_port()
        process = serve(url, port, SECRET, SHUTDOWN_TIMEOUT="20")
        try:
            _assert_large_credentials_reach_the_gateway(port)
            body = json.dumps({"query": '{ tenant(id: "t-drain") { id name } }'})
            answer = asyncio.run(_request_under_way(port, body.encode(), make_token(["t-drain"]), process, url))
            status_line, _, rest = answer.partition(b"\r\n")
            assert status_line.startswith(b"HTTP/1.1 200"), answer[:300]
            payload = json.loads(rest.split(b"\r\n\r\n", 1)[1])
            assert payload["data"]["tenant"]["id"] == "t-drain" and "errors" not in payload, payload
            assert process.wait(timeout=30) == 0, process.stderr.read() if process.stderr else ""
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


async def _add_tenant(engine: Any, tenant_id: str) -> None:
    from loaders.tables import tenants

    async with engine.begin() as conn:
        await conn.execute(tenants.insert().values(id=tenant_id, name="Drain", segment="city_hotel", country="CH",
                                                   currency="CHF"))
