"""Attribution in one windowed statement vs one touch query per booking, same data, same run.

    .venv/bin/python bench/attribution.py [--tenants 3] [--days 365] [--repeat 3]

Seeds a demo store on SQLite, then credits every confirmed booking of the last 180 days to
its last touch (30-day lookback, by UTM campaign) twice: with loaders.segments'
attribution_query, and with a baseline that asks for each booking's touches separately
(what a per-booking implementation sends). Checks both agree and prints the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.database import create_engine  # noqa: E402
from demo.seeding import seed_store  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from core.calendar import DayRange  # noqa: E402
from core.vocabulary import AttributionModel, Dimension  # noqa: E402
from loaders.segments import NONE, attribution_query  # noqa: E402
from loaders.tables import bookings, pageviews, tenants  # noqa: E402

END = date(2026, 2, 28)


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp}/bench.db"))
        await seed_store(engine, tenants=args.tenants, days=args.days, end=END, progress=False)
        days = DayRange(END - timedelta(days=179), END)
        start, end = days.bounds()
        async with engine.connect() as conn:
            ids = [row[0] for row in await conn.execute(select(tenants.c.id))]
            booked = (await conn.execute(
                select(bookings.c.tenant_id, bookings.c.visitor_id, bookings.c.booked_at).where(
                    bookings.c.status == "confirmed", bookings.c.booked_at >= start, bookings.c.booked_at < end)
            )).all()

        async def one_pass() -> Counter[str]:
            statement = attribution_query(ids, days, Dimension.UTM_CAMPAIGN, AttributionModel.LAST_TOUCH, 30)
            async with engine.connect() as conn:
                return _count(await conn.execute(statement))

        async def per_booking() -> Counter[str]:
            out: Counter[str] = Counter()
            pv = pageviews.c
            async with engine.connect() as conn:
                for tenant_id, visitor_id, booked_at in booked:
                    key = NONE
                    if visitor_id is not None:
                        row = (await conn.execute(
                            select(func.coalesce(func.nullif(pv.utm_campaign, ""), NONE))
                            .where(pv.tenant_id == tenant_id, pv.visitor_id == visitor_id,
                                   pv.ts >= booked_at - timedelta(days=30), pv.ts <= booked_at)
                            .order_by(pv.ts.desc(), pv.id.desc()).limit(1)
                        )).first()
                        key = NONE if row is None else row[0]
                    out[f"{tenant_id}/{key}"] += 1
            return out

        results = {}
        answers = {}
        for name, action in (("one query per booking (baseline)", per_booking), ("one windowed statement", one_pass)):
            answers[name] = await action()  # warm up
            timings = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                await action()
                timings.append(time.perf_counter() - started)
            results[name] = statistics.median(timings)
        await engine.dispose()
    assert answers["one windowed statement"] == answers["one query per booking (baseline)"], "the two disagree"
    print(f"{args.tenants} tenants x {args.days} days, {len(booked)} confirmed bookings in 180 days, median of {args.repeat}")
    for name, seconds in results.items():
        print(f"  {name:34s} {seconds * 1000:8.1f} ms")
    base, fast = results["one query per booking (baseline)"], results["one windowed statement"]
    print(f"  speed-up {base / fast:.1f}x (same credits)")


def _count(result) -> Counter[str]:  # type: ignore[no-untyped-def]
    out: Counter[str] = Counter()
    for tenant_id, key, _day, _currency, count, _cents in result:
        out[f"{tenant_id}/{key}"] += int(count)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=3)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
