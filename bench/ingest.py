"""Sustained ingestion into MariaDB: bulk endpoint, mutation and CSV import, against the seed path.

    .venv/bin/python bench/ingest.py [--events 200000] [--clients 4] [--mysql mysql+aiomysql://root@127.0.0.1:3306]

A fresh database is created and dropped. The gateway runs as its own process
(`analytics-gateway serve`), this process is the client: bodies are prepared before the
clock starts, `--clients` requests are kept in flight. Every figure is pageviews stored per
second (inserted, counted by the answers), and the p99 of the time from sending a request
to its acknowledgement (which comes after the commit). The baseline, measured in the same
run on the same database, is `loaders.bulk_insert.insert_rows`, the seed's bulk insert (no
validation, no duplicate check, no HTTP).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auth.tokens import mint  # noqa: E402
from core.vocabulary import Tier  # noqa: E402
from gateway.database import create_engine  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from loaders import tables  # noqa: E402
from loaders.bulk_insert import insert_rows  # noqa: E402
from loaders.store import create_schema  # noqa: E402
from tests.server_process import free_port, serve  # noqa: E402

SECRET = "bench-secret-that-is-long-enough-for-hs256-0123456789"
TENANT = "bench-hotel"
START = datetime(2025, 1, 1)
TIERS = "[ENTERPRISE]\nrequests_per_minute = 1000000\nwrite_rows_per_minute = 100000000\n"


def item(n: int, run: str) -> dict[str, object]:
    return {
        "eventId": f"{run}-{n}", "ts": (START + timedelta(seconds=n)).isoformat() + "Z", "visitorId": f"v-{n % 50_000}",
        "sessionId": f"s-{n % 150_000}", "step": ("LANDING", "SEARCH", None)[n % 3], "channel": "organic_search",
        "device": "mobile", "country": "DE", "loggedIn": n % 4 == 0,
    }


def row(n: int, run: str) -> dict[str, object]:
    return {
        "tenant_id": TENANT, "event_id": f"{run}-{n}", "ts": START + timedelta(seconds=n), "visitor_id": f"v-{n % 50_000}",
        "session_id": f"s-{n % 150_000}", "step": ("landing", "search", "other")[n % 3], "channel": "organic_search",
        "device": "mobile", "country": "DE", "logged_in": n % 4 == 0,
    }


def ndjson(items: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(i) + "\n" for i in items).encode()


def mutation(items: list[dict[str, object]]) -> bytes:
    return json.dumps({
        "query": "mutation($i: [PageviewInput!]!) { recordPageviews(items: $i) { inserted errors { message } } }",
        "variables": {"i": items},
    }).encode()


async def baseline(url: str, events: int) -> float:
    engine = create_engine(Settings(database_url=url))
    try:
        rows = [row(n, "seed") for n in range(events)]
        started = time.perf_counter()
        await insert_rows(engine, tables.pageviews, rows)
        return events / (time.perf_counter() - started)
    finally:
        await engine.dispose()


async def drive(port: int, token: str, path: str, content_type: str, bodies: list[bytes], per_body: int,
                clients: int) -> tuple[float, float]:
    """Sends every body with `clients` in flight; (events/s, p99 latency in ms)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    latencies: list[float] = []
    queue = list(reversed(bodies))
    stored = 0

    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
        async def worker() -> None:
            nonlocal stored
            while queue:
                body = queue.pop()
                sent = time.perf_counter()
                async with session.post(path, data=body, headers=headers) as response:
                    answer = await response.json()
                    if response.status != 200:
                        raise RuntimeError(f"{path}: HTTP {response.status}: {str(answer)[:300]}")
                latencies.append(time.perf_counter() - sent)
                result = answer.get("data", {}).get("recordPageviews") if "data" in answer else answer
                if result["errors"]:
                    raise RuntimeError(str(result["errors"][:2]))
                stored += result["inserted"]

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    assert stored == per_body * len(bodies), (stored, per_body, len(bodies))
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) >= 2 else latencies[0]
    return stored / elapsed, p99 * 1000


def serve_bench(url: str, port: int, tiers: Path) -> subprocess.Popen[bytes]:
    return serve(url, port, SECRET, TIERS_FILE=str(tiers), INGEST_MAX_BATCH="10000",
                 INGEST_MAX_IN_FLIGHT="4", INGEST_QUEUE_SIZE="64")


def csv_import(url: str, events: int, directory: str) -> float:
    path = Path(directory) / "pageviews.csv"
    with path.open("w") as out:
        out.write("eventId,ts,visitorId,sessionId,step,channel,device,country,loggedIn\n")
        for n in range(events):
            i = item(n, "csv")
            out.write(f"{i['eventId']},{i['ts']},{i['visitorId']},{i['sessionId']},{i['step'] or ''},"
                      f"{i['channel']},{i['device']},{i['country']},{str(i['loggedIn']).lower()}\n")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "gateway.cli", "import", "pageviews", str(path), "--tenant", TENANT,
                           "--quiet"], cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return events / elapsed


async def admin(server: str, sql: str) -> None:
    engine = create_async_engine(server + "/mysql")
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(sql)
    finally:
        await engine.dispose()


async def prepare(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        await create_schema(engine)
        await insert_rows(engine, tables.tenants, [
            {"id": TENANT, "name": "Bench", "segment": "city_hotel", "country": "DE", "currency": "EUR"}])
    finally:
        await engine.dispose()


def main(args: argparse.Namespace) -> None:
    name = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    url = f"{args.mysql}/{name}"
    asyncio.run(admin(args.mysql, f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    results: list[tuple[str, float, float | None]] = []
    try:
        asyncio.run(prepare(url))
        seed = asyncio.run(baseline(url, args.events))
        results.append(("baseline: loaders.bulk_insert.insert_rows (seed)", seed, None))
        token = mint(SECRET, subject="bench", tier=Tier.ENTERPRISE, tenants=[TENANT], ttl=timedelta(hours=1),
                     scopes=("ingest",))
        port = free_port()
        with tempfile.TemporaryDirectory() as tmp:
            tiers = Path(tmp) / "tiers.toml"
            tiers.write_text(TIERS)
            server = serve_bench(url, port, tiers)
            try:
                for size in (100, 1_000, 10_000):
                    count = max(size, args.events // size * size)
                    bodies = [ndjson([item(n, f"bulk{size}") for n in range(s, s + size)]) for s in range(0, count, size)]
                    rate, p99 = asyncio.run(drive(port, token, "/ingest/pageviews", "application/x-ndjson", bodies,
                                                  size, args.clients))
                    results.append((f"bulk NDJSON, {size:,} rows per body", rate, p99))
                for size in (100, 1_000, 10_000):
                    count = max(size, min(args.events, 100_000) // size * size)
                    bodies = [mutation([item(n, f"mut{size}") for n in range(s, s + size)]) for s in range(0, count, size)]
                    rate, p99 = asyncio.run(drive(port, token, "/graphql", "application/json", bodies, size,
                                                  args.clients))
                    results.append((f"mutation recordPageviews, {size:,} items per call", rate, p99))
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=60)
            results.append(("CSV import (analytics-gateway import)", csv_import(url, args.events, tmp), None))
    finally:
        asyncio.run(admin(args.mysql, f"DROP DATABASE IF EXISTS {name}"))
    print(f"\n{args.events:,} pageviews per measurement into MariaDB, {args.clients} clients in flight\n")
    print(f"{'path':<52} {'events/s':>10} {'p99 ack':>10} {'vs seed':>8}")
    for label, rate, p99 in results:
        latency = f"{p99:.0f} ms" if p99 is not None else "-"
        print(f"{label:<52} {rate:>10,.0f} {latency:>10} {rate / seed:>7.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--mysql", default=os.environ.get("BENCH_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306"))
    main(parser.parse_args())
