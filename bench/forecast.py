"""Forecast latency, cold and reused, and how the event loop fares while a model is fitted.

    .venv/bin/python bench/forecast.py [--db var/analytics.db] [--tenants 6] [--days 730]

Without --db it seeds a temporary SQLite demo store. It serves the real app on a local port
and measures, in this one process and event loop:
  * each forecast's latency on a cold cache and when the fit is reused (and the ratio);
  * /health latency and the largest gap of a 1 ms ticker while idle, while cold forecasts
    are being fitted in the worker processes, and, for contrast, while the same fit runs
    inline on the event loop (what the executor avoids).
Nothing here is asserted; numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
import jwt  # noqa: E402
from aiohttp import web  # noqa: E402

from demo.seeding import seed_store
from gateway.app import create_app  # noqa: E402
from gateway.database import create_engine  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from resolvers import forecast_cache  # noqa: E402
from resolvers.forecast_fit import fit_forecast  # noqa: E402
from resolvers.forecast_history import HORIZON_LIMIT  # noqa: E402

SECRET = "bench-secret-that-is-long-enough-for-hs256-0123456789"
CASES = [("UNIQUE_VISITORS", "DAY"), ("REVENUE", "DAY"), ("BOOKINGS", "WEEK"), ("REVENUE", "MONTH")]
QUERY = (
    "query($m: Metric!, $g: Granularity!, $h: Int!) "
    "{ tenant { forecast(metric: $m, horizon: $h, granularity: $g) { model historyPoints points { value } } } }"
)


GC_PAUSES: list[tuple[float, float]] = []  # (start, seconds) of every garbage collection


def _track_gc(phase: str, _info: dict[str, int], started: list[float] = [0.0]) -> None:  # noqa: B006
    if phase == "start":
        started[0] = time.perf_counter()
    else:
        GC_PAUSES.append((started[0], time.perf_counter() - started[0]))


class Probe:
    """/health round trips and a 1 ms ticker, run until stopped."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session, self.base = session, base
        self.health: list[float] = []
        self.gaps: list[float] = []
        self._stop = asyncio.Event()

    async def _ticker(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.gaps.append(now - last)
            last = now

    async def _pinger(self) -> None:
        """A /health request every 2 ms; its latency counts from when it was due, so time the
        loop spends blocked before it can even send the request counts too."""
        while not self._stop.is_set():
            due = time.perf_counter() + 0.002
            await asyncio.sleep(0.002)
            async with self.session.get(f"{self.base}/health") as response:
                await response.read()
            self.health.append(time.perf_counter() - due)

    async def around(self, work: Awaitable[object]) -> object:
        self.window = [time.perf_counter(), 0.0]
        tasks = [asyncio.create_task(self._ticker()), asyncio.create_task(self._pinger())]
        try:
            return await work
        finally:
            self._stop.set()
            await asyncio.gather(*tasks)
            self.window[1] = time.perf_counter()

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.health) or [0.0]
        return {
            "health_p50_ms": 1000 * statistics.median(ordered),
            "health_max_ms": 1000 * ordered[-1],
            "tick_gap_max_ms": 1000 * max(self.gaps or [0.0]),
            "gc_max_ms": 1000 * max([d for t, d in GC_PAUSES if self.window[0] <= t <= self.window[1]] or [0.0]),
            "requests": len(self.health),
        }


async def prepare_store(args: argparse.Namespace) -> str:
    if args.db:
        return f"sqlite+aiosqlite:///{Path(args.db).resolve()}"
    path = Path(tempfile.mkdtemp(prefix="bench-forecast-")) / "demo.db"
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(Settings(database_url=url))
    started = time.perf_counter()
    end = datetime.now(UTC).date() - timedelta(days=1)
    await seed_store(engine, tenants=args.tenants, days=args.days, seed=42, end=end, progress=False)
    await engine.dispose()
    print(f"seeded {args.tenants} tenants x {args.days} days in {time.perf_counter() - started:.1f} s at {path}")
    return url


async def first_tenant(url: str) -> str:
    from sqlalchemy import select

    from loaders.tables import tenants

    engine = create_engine(Settings(database_url=url))
    async with engine.connect() as conn:
        tenant = (await conn.execute(select(tenants.c.id).order_by(tenants.c.id).limit(1))).scalar_one()
    await engine.dispose()
    return tenant


async def main(args: argparse.Namespace) -> None:
    url = await prepare_store(args)
    tenant = await first_tenant(url)
    runner = web.AppRunner(create_app(Settings(database_url=url, jwt_secret=SECRET, graphiql=False)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    now = int(time.time())
    token = jwt.encode({"sub": "bench", "tier": "PROFESSIONAL", "tenants": [tenant], "iat": now, "exp": now + 3600},
                       SECRET, algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}"}
    models: dict[tuple[str, str], str] = {}
    async with aiohttp.ClientSession() as session:

        async def forecast(metric: str, granularity: str) -> float:
            started = time.perf_counter()
            horizon = min(30, HORIZON_LIMIT[granularity])
            body = {"query": QUERY, "variables": {"m": metric, "g": granularity, "h": horizon}}
            async with session.post(f"{base}/graphql", json=body, headers=headers) as response:
                payload = await response.json()
            assert "errors" not in payload, payload
            models[(metric, granularity)] = payload["data"]["tenant"]["forecast"]["model"]
            return time.perf_counter() - started

        async def idle() -> None:
            await asyncio.sleep(2.0)

        print(f"tenant {tenant}, {forecast_cache.WORKERS} worker process(es)")
        baseline = Probe(session, base)
        await baseline.around(idle())
        started = time.perf_counter()
        await forecast_cache.POOL.warm()
        print(f"worker start and model import: {time.perf_counter() - started:.2f} s (once per process)")
        if not args.no_freeze:
            # start-up objects (schema, SQLAlchemy, numpy) out of the collector's way: otherwise
            # full collections walk them all and pause the loop for 100+ ms now and then,
            # whatever the request does
            gc.collect()
            gc.freeze()
            print("gc.freeze() after start-up (--no-freeze to keep the default collector)")
        print()

        await forecast_cache.clear()
        during = Probe(session, base)
        cold: dict[tuple[str, str], float] = {}

        async def all_cold() -> None:
            for case in CASES:
                cold[case] = await forecast(*case)

        await during.around(all_cold())
        reused: dict[tuple[str, str], float] = {}
        hits = Probe(session, base)

        async def all_reused() -> None:
            for case in CASES:
                reused[case] = statistics.median([await forecast(*case) for _ in range(15)])

        await hits.around(all_reused())
        print(f"{'metric':<16}{'granularity':<12}{'model':<16}{'cold ms':>9}{'reused ms':>11}{'ratio':>7}")
        for case in CASES:
            print(f"{case[0]:<16}{case[1]:<12}{models[case]:<16}{1000 * cold[case]:>9.1f}{1000 * reused[case]:>11.1f}"
                  f"{cold[case] / reused[case]:>7.1f}")
        print(f"fits {forecast_cache.STATS.fits}, cache hits {forecast_cache.STATS.hits}\n")

        values = [float(v) for v in range(1, 731)]
        inline = Probe(session, base)

        async def fit_on_loop() -> None:
            await asyncio.sleep(0.05)
            fit_forecast(values, "DAY", (0.0, float("inf")), 90)  # deliberately blocking
            await asyncio.sleep(0.05)

        await inline.around(fit_on_loop())
        rows = {
            "idle": baseline.summary(),
            "reused forecasts": hits.summary(),
            "cold fits in workers": during.summary(),
            "same fit inline": inline.summary(),
        }
        print(f"{'event loop while':<22}{'/health p50 ms':>15}{'/health max ms':>15}{'tick gap max ms':>16}"
              f"{'gc pause max ms':>16}{'requests':>10}")
        for name, r in rows.items():
            print(f"{name:<22}{r['health_p50_ms']:>15.2f}{r['health_max_ms']:>15.2f}{r['tick_gap_max_ms']:>16.2f}"
                  f"{r['gc_max_ms']:>16.2f}{r['requests']:>10}")
        # the fair baseline for cold fits is the same requests answered from the cache: both do
        # the request's own work on the loop (GraphQL, loads); only the cold ones also fit
        for reference in ("idle", "reused forecasts"):
            for name in ("cold fits in workers", "same fit inline"):
                r, ref = rows[name], rows[reference]
                print(f"{name} vs {reference}: /health max x{r['health_max_ms'] / ref['health_max_ms']:.1f}, "
                      f"tick gap max x{r['tick_gap_max_ms'] / ref['tick_gap_max_ms']:.1f}")
    await runner.cleanup()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="an existing SQLite store (default: seed a temporary one)")
    parser.add_argument("--tenants", type=int, default=6)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--no-freeze", action="store_true", help="do not gc.freeze() after start-up")
    return parser.parse_args()


if __name__ == "__main__":  # required: forecast workers are spawned processes that import this module
    gc.callbacks.append(_track_gc)
    asyncio.run(main(arguments()))
