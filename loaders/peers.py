"""SQL for benchmarks: who is in a segment, and who has data in a range.

Both serve many tenants per statement; neither returns anything but tenant ids, which stay
inside the resolver (resolvers/benchmark.py never lets a peer id reach a response).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, exists, or_, select

from core.calendar import DayRange
from loaders.rollup_tables import rollup_traffic
from loaders.tables import bookings, pageviews, tenants


def segment_members_query(segments: Sequence[str]) -> Select:
    return select(tenants.c.segment, tenants.c.id).where(tenants.c.segment.in_(segments))


def active_query(ids: Sequence[str], days: DayRange, rollups: bool = False) -> Select:
    """The tenants among `ids` with at least one pageview or booking (any status) in the range.

    EXISTS stops at the first row: each probe is one seek on the (tenant_id, ts) and
    (tenant_id, booked_at) indexes, however much data a tenant has. With rollups a day with
    pageviews is a day with traffic rollup rows, which outlive raw rows dropped by retention.
    """
    start, end = days.bounds()
    t = tenants.c
    viewed = exists().where(pageviews.c.tenant_id == t.id, pageviews.c.ts >= start, pageviews.c.ts < end)
    if rollups:
        r = rollup_traffic.c
        viewed = exists().where(r.tenant_id == t.id, r.day >= days.start, r.day <= days.end)
    booked = exists().where(bookings.c.tenant_id == t.id, bookings.c.booked_at >= start, bookings.c.booked_at < end)
    return select(t.id).where(t.id.in_(ids), or_(viewed, booked))
