"""The floor: the gateway answering a cached dashboard vs an aiohttp handler returning the same bytes.

    .venv/bin/python bench/floor.py [--db URL] [--requests 3000] [--rounds 10] [--concurrency 1 10 100]

Without --db it seeds a temporary SQLite demo store. Both servers run as their own process
on local ports (the gateway through `analytics-gateway serve`, with its default caches in
memory and the rate limits raised out of the way, but still counted and charged); this
process is the client. For each concurrency it alternates rounds of both servers (so a burst
of other work on the machine hits both alike) and prints requests per second, p50 and p99 of
both (rates: the median round's), and the gateway's share of the floor's throughput (the median
of the rounds' ratios). The client is the same for both, so its own cost cancels in ratios. Last, the gateway's longest event-loop stall (from /metrics).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
from common import machine, on_store, percentile, store_parser
from servers import ROOT, bearer, free_port, gateway_process, load, wait_ready

from gateway.database import create_engine
from gateway.settings import Settings
from loaders.store import first_tenant_id

DASHBOARD = """query($id: ID!, $f: Date!, $t: Date!) { tenant(id: $id) {
  metrics(range: {from: $f, to: $t}) { uniqueVisitors sessions pageviews bookings cancellations roomNights
    revenue { amount currency } averageBookingValue { amount } conversionRate cancellationRate
    repeatBookingRate nps previousPeriod { uniqueVisitors bookings revenue { amount } nps } }
  charts(range: {from: $f, to: $t}) { visitorsByChannel { key value share } loginStatus { key value share }
    bookingFunnel { step sessions conversionFromPrevious } revenueTrend { start value }
    npsTrend { start value } rebookingTrend { start value } } } }"""


async def interleaved(
    floor_url: str, gateway_url: str, body: bytes, headers: dict[str, str], requests: int, concurrency: int, rounds: int
) -> tuple[float, list[float], float, list[float], float]:
    """Alternating rounds of both servers, so a burst of other work on the machine hits both alike.

    Rates are the median of the rounds', and the share the median of each round pair's ratio: a
    pause of the machine (another job, a collection) during one round moves a mean far more
    than the typical figure."""
    rates: dict[str, list[float]] = {floor_url: [], gateway_url: []}
    latencies: dict[str, list[float]] = {floor_url: [], gateway_url: []}
    share = max(concurrency, requests // rounds)
    for _ in range(rounds):
        for url in (floor_url, gateway_url):
            rate, lat, _ = await load(url, [body] * share, headers, concurrency)
            rates[url].append(rate)
            latencies[url] += lat
    ratio = statistics.median(g / f for g, f in zip(rates[gateway_url], rates[floor_url], strict=True))
    return (statistics.median(rates[floor_url]), latencies[floor_url], statistics.median(rates[gateway_url]),
            latencies[gateway_url], ratio)


async def loop_stall(url: str) -> tuple[float, float]:
    """The longest event-loop stall since start, and the part of it the loop thread computed."""
    async with aiohttp.ClientSession() as session, session.get(url + "/metrics") as response:
        values = dict(line.split()[:2] for line in (await response.text()).splitlines() if line.startswith("gateway_loop"))
    return float(values["gateway_loop_stall_max_seconds"]), float(values["gateway_loop_stall_cpu_max_seconds"])


async def run(db: str, args: argparse.Namespace, workdir: Path) -> None:
    engine = create_engine(Settings(database_url=db))
    tenant_id = await first_tenant_id(engine)
    await engine.dispose()
    floor_port = free_port()
    floor = None
    async with gateway_process(db, workdir) as gateway_url:
        try:
            floor_url = f"http://127.0.0.1:{floor_port}"
            headers = bearer([tenant_id])
            end = args.end
            variables = {"id": tenant_id, "f": (end - timedelta(days=364)).isoformat(), "t": end.isoformat()}
            body = json.dumps({"query": DASHBOARD, "variables": variables}).encode()
            _, _, (answer,) = await load(gateway_url, [body], headers, 1)
            (workdir / "answer.json").write_bytes(answer)
            floor = subprocess.Popen([sys.executable, str(ROOT / "bench" / "floor_server.py"), str(floor_port),
                                      str(workdir / "answer.json")], stdout=subprocess.DEVNULL)
            await wait_ready(floor_url)
            print(f"machine: {machine()}")
            print(f"one-tenant full-year dashboard (metrics + previousPeriod + six charts), {len(answer)} bytes, "
                  f"cached; {args.requests} requests per server and concurrency in {args.rounds} alternating rounds")
            print(f"{'clients':>8} {'floor req/s':>12} {'gateway req/s':>14} {'share':>6} "
                  f"{'floor p50/p99 ms':>18} {'gateway p50/p99 ms':>20}")
            for concurrency in args.concurrency:
                await load(gateway_url, [body] * min(50, args.requests), headers, concurrency)  # warm connections
                floor_rate, floor_lat, gw_rate, gw_lat, share = await interleaved(
                    floor_url, gateway_url, body, headers, args.requests, concurrency, args.rounds
                )
                print(f"{concurrency:>8} {floor_rate:>12.0f} {gw_rate:>14.0f} {share:>6.2f} "
                      f"{percentile(floor_lat, .5) * 1000:>8.2f}/{percentile(floor_lat, .99) * 1000:<9.2f} "
                      f"{percentile(gw_lat, .5) * 1000:>10.2f}/{percentile(gw_lat, .99) * 1000:<9.2f}")
            wall, cpu = await loop_stall(gateway_url)
            print(f"gateway's longest event-loop stall since start: {wall * 1000:.1f} ms, of which it computed "
                  f"{cpu * 1000:.1f} ms (gateway_loop_stall_max_seconds, gateway_loop_stall_cpu_max_seconds)")
        finally:
            if floor is not None:
                floor.terminate()
                floor.wait(timeout=30)


if __name__ == "__main__":
    parser = store_parser(tenants=3, end_help="last day of the year")
    parser.add_argument("--requests", type=int, default=3000, help="per server and concurrency, over all rounds")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds per concurrency")
    asyncio.run(on_store(parser.parse_args(), run))
