"""SIGTERM while a body is being received: the admitted batch commits and is acknowledged."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
from pathlib import Path

import aiohttp

from tests.conftest import SECRET, make_token
from tests.ingest_support import count, pageview, prepare
from tests.server_process import free_port, serve


async def _post(port: int, body, headers: dict) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as session:
        async with session.post(f"http://127.0.0.1:{port}/ingest/pageviews", data=body, headers=headers) as response:
            return response.status, await response.json()


def _headers() -> dict[str, str]:
    # made when the test runs: a token made at collection may expire before a long suite gets here
    return {"Authorization": "Bearer " + make_token(["ing-a"], scope="ingest"), "Content-Type": "application/x-ndjson"}


def _lines(first: int, last: int) -> list[str]:
    return [json.dumps(pageview(n)) + "\n" for n in range(first, last)]


def test_sigterm_refuses_a_body_still_arriving_and_lets_a_received_one_commit(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    asyncio.run(prepare(url))
    port = free_port()
    server = serve(url, port, SECRET)
    arriving = _lines(0, 2_000)
    received = "".join(_lines(2_000, 12_000)).encode()

    async def scenario() -> tuple[tuple[int, dict], tuple[int, dict]]:
        async def slow_body():  # type: ignore[no-untyped-def]
            yield "".join(arriving[:1_000]).encode()
            await asyncio.sleep(3.0)  # the other body has arrived and is being written: SIGTERM now
            server.send_signal(signal.SIGTERM)
            await asyncio.sleep(3.0)
            yield "".join(arriving[1_000:]).encode()

        headers = _headers()
        return await asyncio.gather(_post(port, slow_body(), headers), _post(port, received, headers))

    try:
        (slow_status, slow_answer), (full_status, full_answer) = asyncio.run(scenario())
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass  # how long the process takes to exit is not the point; a kill must not change the result
    finally:
        if server.poll() is None:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
    # the body cut off by the shutdown is refused cleanly: 503, nothing of it stored
    assert slow_status == 503, (slow_status, slow_answer, full_status, full_answer)
    assert slow_answer["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    # the whole body either committed and was acknowledged, or (if the shutdown caught it still
    # arriving) was refused: acknowledged == stored, always
    stored = asyncio.run(count(url, "pageviews"))
    if full_status == 200:
        assert full_answer["inserted"] == 10_000 and stored == 10_000
    else:
        assert full_status == 503 and stored == 0
    # after the restart a resend adds exactly what was not acknowledged
    server = serve(url, port, SECRET)
    try:
        everything = "".join(arriving).encode() + received
        status, answer = asyncio.run(_post(port, everything, _headers()))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert status == 200
    assert (answer["inserted"], answer["duplicates"]) == (12_000 - stored, stored)
    assert asyncio.run(count(url, "pageviews")) == 12_000
