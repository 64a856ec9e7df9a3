"""Portfolio query vs one query per tenant, same data, same run.

    .venv/bin/python bench/portfolio.py [--tenants 50] [--days 90] [--repeat 5]

Prints wall time and SQL statements of one `tenants { metrics charts }` query over N tenants
against N single-tenant queries (what a dashboard without batching would send), and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auth.principal import Principal
from core.vocabulary import PrincipalKind, Tier
from demo.seeding import seed_store
from gateway.context import build_context  # noqa: E402
from gateway.database import create_engine  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from loaders.tables import tenants  # noqa: E402
from schema.root import build_schema  # noqa: E402

FIELDS = """
  metrics(range: {from: "2026-02-01", to: "2026-02-28"}) {
    uniqueVisitors sessions bookings revenue { amount } conversionRate nps previousPeriod { bookings }
  }
  charts(range: {from: "2026-02-01", to: "2026-02-28"}) {
    visitorsByChannel { key value } loginStatus { key value } bookingFunnel { sessions }
    revenueTrend { value } npsTrend { value } rebookingTrend { value }
  }
"""
PORTFOLIO = "query($ids: [ID!]) { tenants(ids: $ids) { id %s } }" % FIELDS
SINGLE = "query($id: ID!) { tenant(id: $id) { id %s } }" % FIELDS


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp}/bench.db", max_range_days=3700)
        engine = create_engine(settings)
        await seed_store(engine, tenants=args.tenants, days=args.days, end=date(2026, 2, 28), progress=False)
        async with engine.connect() as conn:
            ids = [row[0] for row in await conn.execute(select(tenants.c.id))]
        statements: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        schema = build_schema(limits=None)
        principal = Principal(PrincipalKind.USER, "bench", Tier.ENTERPRISE, tuple(ids))

        async def run(query: str, variables: dict) -> None:  # type: ignore[type-arg]
            context = build_context(engine=engine, settings=settings, principal=principal)
            result = await schema.execute(query, variable_values=variables, context_value=context)
            assert result.errors is None, result.errors

        async def portfolio() -> None:
            await run(PORTFOLIO, {"ids": ids})

        async def one_by_one() -> None:
            for tenant_id in ids:
                await run(SINGLE, {"id": tenant_id})

        results = {}
        for name, action in (("one query per tenant (baseline)", one_by_one), ("portfolio query", portfolio)):
            await action()  # warm caches
            timings = []
            for _ in range(args.repeat):
                statements.clear()
                started = time.perf_counter()
                await action()
                timings.append(time.perf_counter() - started)
            results[name] = (statistics.median(timings), len(statements))
        await engine.dispose()
    print(f"{args.tenants} tenants x {args.days} days, median of {args.repeat}")
    for name, (seconds, count) in results.items():
        print(f"  {name:34s} {seconds * 1000:8.1f} ms  {count:5d} SQL statements")
    base, fast = results["one query per tenant (baseline)"], results["portfolio query"]
    print(f"  speed-up {base[0] / fast[0]:.1f}x, statements {base[1] / fast[1]:.1f}x fewer")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(main(parser.parse_args()))
