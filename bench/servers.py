"""Gateways as their own processes, and the HTTP clients the benchmarks load them with.

    async with gateway_process(db, workdir) as url: ...        # defaults: rollups and caches
    async with gateway_process(db, workdir, ROLLUPS="false", CACHE="false") as url: ...

The rate limits are raised out of the way (every request is still counted and charged).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiohttp
import jwt

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-that-is-long-enough-for-hs256-0123456789"
TIERS = "[ENTERPRISE]\nrequests_per_minute = 100000000\npoints_per_minute = 1000000000\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bearer(tenant_ids: Sequence[str]) -> dict[str, str]:
    token = jwt.encode({"sub": "bench", "tier": "ENTERPRISE", "tenants": list(tenant_ids),
                        "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


async def wait_ready(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(url + "/health") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not start")


async def _settled(url: str, seconds: float = 60.0) -> None:
    """Until the start-up's background work is done (the forecast workers' warm-up runs in other
    processes for a few seconds and would take CPU from the first rounds measured)."""
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            async with session.get(url + "/ready") as response:
                if (await response.json()).get("forecasts") in ("ready", "failed"):
                    return
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def gateway_process(db: str, workdir: Path, **env: str) -> AsyncIterator[str]:
    """`analytics-gateway serve` on a free local port; yields its URL."""
    tiers = workdir / "bench-tiers.toml"
    tiers.write_text(TIERS)
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": db, "JWT_SECRET": SECRET, "PORT": str(port),
                   "TIERS_FILE": str(tiers), "LOG_LEVEL": "WARNING", "GRAPHIQL": "false", "MAX_RANGE_DAYS": "3700",
                   "ROLLUP_CHECK_SECONDS": "0", **env}
    process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve"], cwd=ROOT, env=environment,
                               stdout=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_ready(url)
        await _settled(url)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


async def load(
    url: str, bodies: Sequence[bytes], headers: dict[str, str], concurrency: int
) -> tuple[float, list[float], list[bytes]]:
    """Every body posted once by `concurrency` clients: requests/s, latencies, the answers in order."""
    latencies: list[float] = []
    answers: list[bytes] = [b""] * len(bodies)
    queue = iter(range(len(bodies)))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for i in queue:
                started = time.perf_counter()
                async with session.post(url + "/graphql", data=bodies[i], headers=headers) as response:
                    answers[i] = await response.read()
                    if response.status != 200 or b'"errors"' in answers[i]:
                        raise SystemExit(f"status {response.status}: {answers[i][:300]!r}")
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(bodies) / (time.perf_counter() - started), latencies, answers
