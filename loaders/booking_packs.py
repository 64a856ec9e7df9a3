"""rollup_bookings as packs (loaders/packs.py): per tenant and calendar month, its rows as records.

A month, not a day: a tenant has a few booking rollup rows a day, so a 90-day portfolio reads
four rows per tenant instead of ~200, and a rebuild of some days repacks their whole months
(a few hundred rows each). Read back as the BookingDay rows rollup_bookings gives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.calendar import DayRange
from loaders.facts import BookingDay
from loaders.packs import coded, decode, insert_parts, label_in
from loaders.periods import as_date
from loaders.rollup_tables import rollup_booking_packs, rollup_bookings

RECORD = np.dtype(
    [
        ("day", "<i4"),  # date.toordinal()
        ("currency", "<u4"),
        ("channel", "<u4"),
        ("confirmed", "<u4"),
        ("cancelled", "<u4"),
        ("room_nights", "<i8"),
        ("cents", "<i8"),
        ("repeats", "<u4"),
    ]
)
LABELLED = ("currency", "channel")
MEASURES = ("confirmed", "cancelled", "room_nights", "cents", "repeats")
B, K = rollup_bookings.c, rollup_booking_packs.c
# (first day, last day); None on either side is open
Span = tuple[date | None, date | None]


def month_spans(spans: Iterable[Span]) -> list[Span]:
    """The spans widened to whole months and merged where they meet."""
    out: list[Span] = []
    for start, end in sorted(spans, key=lambda span: span[0] or date.min):
        first = start.replace(day=1) if start else None
        last = _month_end(end) if end else None
        previous = out[-1] if out else None
        if previous and (previous[1] is None or first is None or first <= previous[1] + timedelta(days=1)):
            out[-1] = (previous[0], None if previous[1] is None or last is None else max(previous[1], last))
        else:
            out.append((first, last))
    return out


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


async def repack_in(conn: AsyncConnection, tenant_id: str, spans: Iterable[Span]) -> None:
    """Rebuild the tenant's packs of the months the spans touch from its rollup_bookings rows."""
    for start, end in month_spans(spans):
        where = [B.tenant_id == tenant_id]
        packs = [K.tenant_id == tenant_id]
        if start is not None:
            where.append(B.day >= start)
            packs.append(K.month >= start)
        if end is not None:
            where.append(B.day <= end)
            packs.append(K.month <= end)
        await label_in(conn, rollup_bookings, LABELLED, where)
        await conn.execute(delete(rollup_booking_packs).where(*packs))
        joined, codes = coded(rollup_bookings, LABELLED)
        rows = await conn.execute(select(B.day, *codes, *(B[name] for name in MEASURES)).select_from(joined).where(*where))
        by_month: dict[date, list[tuple[Any, ...]]] = defaultdict(list)
        for day, *record in rows:
            day = as_date(day)
            by_month[day.replace(day=1)].append((day.toordinal(), *record))
        await insert_parts(conn, rollup_booking_packs, tenant_id, "month", by_month, RECORD)


def packs_query(ids: Sequence[str], days: DayRange) -> Any:
    return select(K.tenant_id, K.records).where(
        K.tenant_id.in_(ids), K.month >= days.start.replace(day=1), K.month <= days.end
    )


def booking_days(
    packs: Sequence[Sequence[Any]], days: DayRange, by_channel: bool, labels: Mapping[int, str]
) -> dict[str, list[BookingDay]]:
    """The range's rows per tenant, day and currency (and channel), summed as the SQL did."""
    if not packs:
        return {}
    tenants = sorted({row[0] for row in packs})
    records, tenant, _ = decode(packs, RECORD, {tenant_id: i for i, tenant_id in enumerate(tenants)})
    inside = (records["day"] >= days.start.toordinal()) & (records["day"] <= days.end.toordinal())
    records, tenant = records[inside], tenant[inside]
    # one integer key per row: tenant, day, and the ranks of currency and channel among the codes
    currencies, currency = np.unique(records["currency"], return_inverse=True)
    channels, channel = np.unique(records["channel"], return_inverse=True) if by_channel else (np.zeros(1), 0)
    key = ((tenant * (1 << 20) + records["day"] - days.start.toordinal()) * len(currencies) + currency) * len(channels) + channel
    unique, inverse = np.unique(key, return_inverse=True)
    sums = []
    for name in MEASURES:  # integer sums (bincount's weights would be floats)
        total = np.zeros(len(unique), dtype=np.int64)
        np.add.at(total, inverse.reshape(-1), records[name].astype(np.int64))
        sums.append(total)
    out: dict[str, list[BookingDay]] = defaultdict(list)
    dates: dict[int, date] = {}
    codes = currencies.tolist(), channels.tolist()
    for k, confirmed, cancelled, nights, cents, repeats in zip(unique.tolist(), *(column.tolist() for column in sums)):
        k, chan = divmod(k, len(channels))
        k, cur = divmod(k, len(currencies))
        t, day = divmod(k, 1 << 20)
        when = dates.get(day) or dates.setdefault(day, date.fromordinal(day + days.start.toordinal()))
        out[tenants[t]].append(BookingDay(
            when, labels[codes[0][cur]], labels[codes[1][chan]] if by_channel else None, int(confirmed),
            int(cancelled), int(nights), Decimal(int(cents)).scaleb(-2), int(repeats),
        ))
    return out
