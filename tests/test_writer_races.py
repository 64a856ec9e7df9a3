"""Two writers of different tenants at once on MariaDB: a dimension value that the other writer
labelled after this one's snapshot is still packed with its code, not as NULL.

The bench's two rollup workers hit this on a 50-tenant store: the second tenant's every channel,
device and country was packed as "none", and its currency as "Non". Labels are shared by every
tenant, so the tenant write lock (loaders/writes.lock_tenant) does not order these writers.
The race is MariaDB's (snapshots and INSERT IGNORE); SQLite runs one writer at a time.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from gateway.database import create_engine
from gateway.settings import Settings
from loaders.rollup_refresh import refresh_tenant_in
from loaders import tables
from loaders.bulk_insert import insert_rows
from loaders.store import create_schema
from tests.gql import execute
from tests.services import mariadb_database

FIRST, SECOND = "pl-first", "pl-second"
QUERY = """query($f: Date!, $t: Date!) { tenant(id: "%s") {
  metrics(range: {from: $f, to: $t}) { uniqueVisitors bookings revenue { amount } }
  charts(range: {from: $f, to: $t}) { visitorsByChannel { key value } } } }"""
RANGE = {"f": "2025-03-01", "t": "2025-03-31"}


def _rows() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"pageviews": [], "bookings": []}
    for tenant in (FIRST, SECOND):
        for n in range(12):
            out["pageviews"].append({
                "tenant_id": tenant, "ts": datetime(2025, 3, 1 + n, 9), "visitor_id": f"v{n % 5}",
                "session_id": f"s{n}", "step": "landing", "channel": ("direct", "email", "paid")[n % 3],
                "device": "mobile", "country": "DE", "logged_in": n % 2 == 0})
            out["bookings"].append({
                "tenant_id": tenant, "booking_ref": f"r{n}", "booked_at": datetime(2025, 3, 1 + n, 12),
                "customer_id": f"c{n % 4}", "check_in": date(2025, 4, 1) + timedelta(days=n), "nights": 2, "rooms": 1,
                "amount": Decimal("100.50") + n, "currency": "EUR", "status": "confirmed", "channel": "direct"})
    return out


async def _fill(url: str) -> None:
    """Raw rows only: no writer has labelled anything yet."""
    engine = create_engine(Settings(database_url=url))
    try:
        await create_schema(engine)
        await insert_rows(engine, tables.tenants, [
            {"id": t, "name": t, "segment": "city_hotel", "country": "DE", "currency": "EUR"} for t in (FIRST, SECOND)])
        await insert_rows(engine, tables.fx_rates, [{"currency": "EUR", "day": date(2025, 1, 1), "usd_per_unit": Decimal("1.1")}])
        for name, batch in _rows().items():
            await insert_rows(engine, getattr(tables, name), batch, rollups=False)
    finally:
        await engine.dispose()


async def _race(url: str) -> None:
    """FIRST's transaction takes its snapshot, SECOND's rebuild labels every value and commits,
    then FIRST rebuilds: its INSERT IGNOREs skip labels its snapshot cannot see."""
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as first, engine.connect() as second:
            await first.begin()
            await first.execute(text("SELECT COUNT(*) FROM rollup_labels"))  # the snapshot
            async with second.begin():
                await refresh_tenant_in(second, SECOND)
            await refresh_tenant_in(first, FIRST)
            await first.commit()
    finally:
        await engine.dispose()


def test_a_label_committed_after_the_snapshot_is_packed_with_its_code() -> None:
    with mariadb_database() as url:
        asyncio.run(_fill(url))
        asyncio.run(_race(url))
        for tenant in (FIRST, SECOND):
            packed = asyncio.run(execute(url, QUERY % tenant, RANGE, tenants=[tenant]))
            raw = asyncio.run(execute(url, QUERY % tenant, RANGE, tenants=[tenant], rollups=False))
            assert not packed.errors and not raw.errors, (packed.errors, raw.errors)
            channels = {row["key"] for row in packed.data["tenant"]["charts"]["visitorsByChannel"]}
            assert channels == {"direct", "email", "paid"}
            assert packed.data == raw.data

