"""`analytics-gateway tenants`: the tenants of the store, with the days they hold data for."""

from __future__ import annotations

import argparse
import asyncio

from gateway.database import create_engine
from gateway.settings import Settings
from loaders.dataloaders import Loaders
from loaders.store import create_schema, tenant_ids

COLUMNS = ("ID", "NAME", "SEGMENT", "CURRENCY", "DATA FROM", "DATA TO")


def register(commands: argparse._SubParsersAction) -> None:
    commands.add_parser("tenants", help="list tenant ids with name, segment, currency and data range")


def run(settings: Settings, _args: argparse.Namespace) -> int:
    rows = asyncio.run(_rows(settings))
    if not rows:
        print("no tenants: run `analytics-gateway seed` (or `demo`) first")
        return 0
    print(table([COLUMNS, *rows]))
    return 0


async def _rows(settings: Settings) -> list[tuple[str, ...]]:
    engine = create_engine(settings)
    try:
        await create_schema(engine)  # an empty store lists nothing instead of failing
        ids = await tenant_ids(engine)
        loaders = Loaders(engine)
        tenants, spans = await asyncio.gather(loaders.tenants.load_many(ids), loaders.data_ranges.load_many(ids))
    finally:
        await engine.dispose()
    return [
        (t.id, t.name, t.segment, t.currency, *((span[0].isoformat(), span[1].isoformat()) if span else ("-", "-")))
        for t, span in zip(tenants, spans)
        if t is not None
    ]


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)
