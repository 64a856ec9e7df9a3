"""Filling an empty store with the demo data of demo.data."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from tqdm import tqdm

from demo.data import generate
from loaders.bulk_insert import insert_rows
from loaders.store import analyze, create_schema, tenant_count
from loaders.tables import bookings, fx_rates, pageviews, surveys
from loaders.tables import tenants as tenants_table

TABLES = {t.name: t for t in (tenants_table, fx_rates, pageviews, bookings, surveys)}


async def seed_store(
    engine: AsyncEngine,
    *,
    tenants: int = 18,
    days: int = 730,
    seed: int = 42,
    end: date | None = None,
    progress: bool = True,
) -> dict[str, int]:
    """Create the schema and load `days` days of demo data ending on `end` (default yesterday, UTC).

    Returns the number of rows written per table. Refuses a store that already has tenants:
    mixing demo rows into real (or earlier demo) data would corrupt both, so the caller decides.
    """
    if tenants < 1 or days < 1:
        raise ValueError("tenants and days must be at least 1")
    await create_schema(engine)
    existing = await tenant_count(engine)
    if existing:
        raise ValueError(f"the store already has {existing} tenant(s); seed only an empty store")
    if end is None:
        end = datetime.now(UTC).date() - timedelta(days=1)
    counts = dict.fromkeys(TABLES, 0)
    bar = tqdm(total=tenants, unit="tenant", desc="seeding demo data", disable=not progress)
    with bar, _fewer_gc_passes():
        for name, rows in generate(tenants, days, seed, end=end):
            counts[name] += await insert_rows(engine, TABLES[name], rows)
            if name == "surveys":  # the last chunk of each tenant
                bar.set_postfix(pageviews=counts["pageviews"], bookings=counts["bookings"], refresh=False)
                bar.update(1)
    await analyze(engine)
    return counts


@contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Collect garbage rarely while millions of short-lived row dicts pass through.

    With the default thresholds each 20k-row chunk is promoted to the oldest generation and
    triggers full collections, a fifth of the seed time; the rows form no cycles anyway.
    """
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)
