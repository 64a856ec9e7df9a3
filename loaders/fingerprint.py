"""A cheap fingerprint of a tenant's data, to know when a cached forecast is stale.

Rows are appended with increasing ids, so (count, max id) per table changes whenever rows are
added or deleted; fx rates (which change converted revenue) are fingerprinted by count and sum.
In-place UPDATEs of existing rows are not seen: the forecast cache's TTL bounds that staleness.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, literal, null, select, union_all

from loaders.tables import bookings, fx_rates, pageviews, surveys

SOURCES = {"pageviews": pageviews, "bookings": bookings, "surveys": surveys}


def fingerprint_query(ids: Sequence[str], sources: Sequence[str]) -> Any:
    """One statement: (tenant_id, source, rows, max id, rate sum) per tenant and table, plus fx.

    Only the `sources` a metric reads are counted (the count scans the tenant's index range,
    so skipping pageviews for a booking metric skips the biggest table); "fx_rates" adds the
    rates, which converted money depends on.
    """
    parts = [
        select(
            table.c.tenant_id.label("tenant_id"),
            literal(table.name).label("source"),
            func.count().label("n"),
            func.max(table.c.id).label("top"),
            null().label("total"),
        )
        .where(table.c.tenant_id.in_(ids))
        .group_by(table.c.tenant_id)
        for name, table in SOURCES.items()
        if name in sources
    ]
    if "fx_rates" in sources:
        parts.append(select(null(), literal("fx_rates"), func.count(), null(), func.sum(fx_rates.c.usd_per_unit)))
    return union_all(*parts) if len(parts) > 1 else parts[0]
