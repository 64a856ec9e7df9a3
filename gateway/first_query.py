"""The demo's ready-to-paste first query, dated inside the data the store really holds."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from loaders.dataloaders import Loaders

WINDOW_DAYS = 30


async def data_span(engine: AsyncEngine, tenant_id: str) -> tuple[date, date] | None:
    return await Loaders(engine).data_ranges.load(tenant_id)


def first_query(span: tuple[date, date]) -> str:
    """Key metrics and a weekly revenue series over the last 30 days with data."""
    last = span[1]
    first = max(span[0], last - timedelta(days=WINDOW_DAYS - 1))
    days = f'{{from: "{first.isoformat()}", to: "{last.isoformat()}"}}'
    return (
        f"{{ tenant {{ name dataRange {{ from to }} "
        f"metrics(range: {days}) {{ uniqueVisitors bookings conversionRate revenue {{ amount currency }} }} "
        f"series(metric: REVENUE, range: {days}, granularity: WEEK) {{ start value }} }} }}"
    )


def banner(span: tuple[date, date] | None, token: str, url: str) -> str:
    if span is None:
        return "the demo tenant has no data yet"
    query = first_query(span)
    body = json.dumps({"query": query})
    return "\n".join([
        f"Demo data: {span[0].isoformat()} .. {span[1].isoformat()} (seeded up to the day before seeding, UTC; "
        "`analytics-gateway tenants` lists every tenant and its range).",
        "A first query over its last 30 days, for GraphiQL or any client:",
        f"  {query}",
        "or with curl:",
        f"  curl -s {url} -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' -d '{body}'",
    ])
