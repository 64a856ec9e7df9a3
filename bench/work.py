"""Work per request: three one-tenant questions over a year, cold and warm, rollups vs raw rows.

    .venv/bin/python bench/work.py [--db URL] [--tenants 6] [--days 400] [--repeat 30]

Without --db it seeds a temporary SQLite demo store. For each question (a year's key
metrics, revenue broken down by channel, bookings per month) it prints p50 wall time, CPU
time and SQL statements per request in four modes, all in this run:
  raw       no rollups, no cache (how every request was answered before)
  rollups   rollups, no cache
  cold      rollups and the result cache, every request a different range (shifted by a day)
  warm      rollups and the result cache, the same request repeated
  http warm the same request repeated through the real app over HTTP (aiohttp, in this
            process): authentication, rate limits and the whole-response cache; CPU ms
            includes the client's share
and the ratios to `raw`. The numbers of every mode are compared and must be identical.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import date, timedelta
from typing import Any

import jwt
from aiohttp.test_utils import TestClient, TestServer
from common import Counter, Sample, execute, machine, measure, seeded_store, service

from gateway import appkeys
from gateway.app import create_app
from gateway.database import create_engine
from gateway.settings import Settings
from loaders.store import first_tenant_id

QUESTIONS = {
    "year metrics": "query($id: ID!, $f: Date!, $t: Date!) { tenant(id: $id) { metrics(range: {from: $f, to: $t}) "
                    "{ uniqueVisitors sessions pageviews bookings revenue { amount currency } conversionRate "
                    "repeatBookingRate nps } } }",
    "by channel": "query($id: ID!, $f: Date!, $t: Date!) { tenant(id: $id) { breakdown(metric: REVENUE, by: CHANNEL, "
                  "range: {from: $f, to: $t}) { key value share } } }",
    "monthly series": "query($id: ID!, $f: Date!, $t: Date!) { tenant(id: $id) { series(metric: BOOKINGS, "
                      "range: {from: $f, to: $t}, granularity: MONTH) { start value } } }",
}


SECRET = "bench-secret-that-is-long-enough-for-hs256-0123456789"


async def http_warm(url: str, query: str, variables: dict[str, Any], repeat: int) -> tuple[Sample, list[Any]]:
    """The same request `repeat` times through the real app (after one that fills the caches)."""
    settings = Settings(database_url=url, jwt_secret=SECRET, max_range_days=3700, rollup_check_seconds=0,
                        forecast_warmup=False, log_level="WARNING")
    token = jwt.encode({"sub": "bench", "tier": "ENTERPRISE", "tenants": [variables["id"]],
                        "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"query": query, "variables": variables}
    async with TestClient(TestServer(create_app(settings))) as client:
        counter = Counter()
        counter.attach(client.app[appkeys.DATA].engine)
        answers: list[Any] = []

        async def once(_i: int) -> None:
            response = await client.post("/graphql", json=body, headers=headers)
            answers.append((await response.json())["data"])

        await once(0)
        answers.clear()
        return await measure(counter, once, repeat), answers


async def run(url: str, repeat: int, end: date) -> None:
    settings = Settings(database_url=url, max_range_days=3700)
    engine = create_engine(settings)
    counter = Counter()
    counter.attach(engine)
    tenant_id = await first_tenant_id(engine)
    modes = {
        "raw": service(engine, cache=False, rollups=False),
        "rollups": service(engine, cache=False),
        "cold": service(engine, cache=True),
        "warm": service(engine, cache=True),
    }

    def variables(i: int, shift: bool) -> dict[str, Any]:
        last = end - timedelta(days=i if shift else 0)
        return {"id": tenant_id, "f": (last - timedelta(days=364)).isoformat(), "t": last.isoformat()}

    print(f"machine: {machine()}\nstore: {engine.dialect.name}, tenant {tenant_id}, {repeat} requests per mode")
    for name, query in QUESTIONS.items():
        results: dict[str, Any] = {}
        samples = {}
        for mode, data in modes.items():
            shift = mode != "warm"
            answers = []

            async def once(i: int) -> None:
                answers.append(await execute(data, settings, query, variables(i, shift), (tenant_id,)))

            if mode == "warm":
                await once(0)  # fill the cache
                answers.clear()
            samples[mode] = await measure(counter, once, repeat)
            results[mode] = answers
        # cheap enough to take more samples: a p50 that the machine's other work moves less
        samples["http warm"], results["http warm"] = await http_warm(url, query, variables(0, False), repeat * 5)
        as_json = json.loads(json.dumps(results["raw"][0]))
        same = all(results[m] == results["raw"] for m in ("rollups", "cold")) and all(
            answer == results["raw"][0] for answer in results["warm"]) and all(
            answer == as_json for answer in results["http warm"])
        print(f"\n{name}  (identical numbers in every mode: {'yes' if same else 'NO'})")
        for mode, sample in samples.items():
            ratio = samples["raw"].p50 / sample.p50
            print(f"  {mode:9s} {sample.line()}   {ratio:6.1f}x faster than raw")
        if not same:
            raise SystemExit("numbers differ between modes")
    await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    end = date(2026, 2, 28)
    if args.db:
        await run(args.db, args.repeat, args.end or end)
        return
    with tempfile.TemporaryDirectory() as tmp:
        await run(await seeded_store(tmp, args.tenants, args.days, end), args.repeat, end)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="an existing store's DATABASE_URL (default: seed a temporary SQLite store)")
    parser.add_argument("--end", type=date.fromisoformat, help="last day of the year asked for (with --db)")
    parser.add_argument("--tenants", type=int, default=6)
    parser.add_argument("--days", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=30)
    asyncio.run(main(parser.parse_args()))
