"""rollup_bookings as packs (loaders/packs.py): per tenant and calendar month, its rows as records.

A month, not a day: a tenant has a few booking rollup rows a day, so a 90-day portfolio reads
four rows per tenant instead of ~200, and a rebuild of some days repacks their whole months
(a few hundred rows each). Read back as the BookingDay rows rollup_bookings gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncConnection

from core.calendar import DayRange
from loaders.booking_columns import MEASURES as COLUMNS
from loaders.booking_columns import BookingColumns
from loaders.facts import BookingDay
from loaders.packs import Span, decode, inside, month_packs_query, repack_months
from loaders.rollup_tables import rollup_booking_packs, rollup_bookings

RECORD = np.dtype(
    [
        ("day", "<i4"),  # date.toordinal()
        ("currency", "S3"),  # inline: a currency is its code, and loads without channels need no labels
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


async def repack_in(conn: AsyncConnection, tenant_id: str, spans: Iterable[Span]) -> None:
    """Rebuild the tenant's packs of the months the spans touch from its rollup_bookings rows."""
    await repack_months(
        conn, rollup_bookings, rollup_booking_packs, tenant_id, spans, RECORD, MEASURES, LABELLED, inline=("currency",)
    )


def packs_query(ids: Sequence[str], days: DayRange) -> Any:
    return month_packs_query(rollup_booking_packs, ids, days)


def booking_days(
    packs: Sequence[Sequence[Any]], days: DayRange, by_channel: bool, labels: Mapping[int, str] | None = None
) -> dict[str, list[BookingDay]]:
    """The range's rows per tenant, day and currency (and channel), summed as the SQL did.
    `labels` (code -> value) only with `by_channel`."""
    summed = _Summed.of(packs, days, by_channel)
    if summed is None:
        return {}
    dates = {day: date.fromordinal(day) for day in np.unique(summed.day).tolist()}
    split = [labels[code] for code in summed.channels.tolist()] if labels is not None else None
    rows = [
        BookingDay(dates[d], summed.currencies[c], split[h] if split else None, confirmed, cancelled, nights,
                   Decimal(cents).scaleb(-2), repeats, cents)
        for d, c, h, confirmed, cancelled, nights, cents, repeats in zip(
            summed.day.tolist(), summed.currency.tolist(), summed.channel.tolist(),
            *(summed.sums[name].tolist() for name in MEASURES),
        )
    ]
    return {tenant_id: rows[part] for tenant_id, part in summed.parts()}


def booking_columns(packs: Sequence[Sequence[Any]], days: DayRange) -> dict[str, BookingColumns]:
    """The same rows (without channels) as columns, per tenant: no row objects made."""
    summed = _Summed.of(packs, days, by_channel=False)
    if summed is None:
        return {}
    names = tuple(summed.currencies)
    return {
        tenant_id: BookingColumns(
            names, summed.day[part], summed.currency[part], *(summed.sums[name][part] for name in COLUMNS)
        )
        for tenant_id, part in summed.parts()
    }


@dataclass(frozen=True)
class _Summed:
    """The range's records summed per tenant, day, currency (and channel), in key order: each
    tenant's rows are one slice."""

    tenants: list[str]
    tenant: np.ndarray
    day: np.ndarray  # ordinals
    currency: np.ndarray  # index into currencies
    currencies: list[str]
    channel: np.ndarray  # index into channels (0 without channels)
    channels: np.ndarray  # label codes
    sums: dict[str, np.ndarray]

    @classmethod
    def of(cls, packs: Sequence[Sequence[Any]], days: DayRange, by_channel: bool) -> _Summed | None:
        if not packs:
            return None
        tenants = sorted({row[0] for row in packs})
        records, tenant = inside(*decode(packs, RECORD, {tenant_id: i for i, tenant_id in enumerate(tenants)})[:2], days)
        # one integer key per row: tenant, day, and the ranks of currency and channel among the codes
        currencies, currency = np.unique(records["currency"], return_inverse=True)
        channels, channel = np.unique(records["channel"], return_inverse=True) if by_channel else (np.zeros(1), 0)
        first = days.start.toordinal()
        key = ((tenant * (1 << 20) + records["day"] - first) * len(currencies) + currency) * len(channels) + channel
        unique, inverse = np.unique(key, return_inverse=True)
        sums = {}
        for name in MEASURES:  # integer sums (bincount's weights would be floats)
            total = np.zeros(len(unique), dtype=np.int64)
            np.add.at(total, inverse.reshape(-1), records[name].astype(np.int64))
            sums[name] = total
        # back from the key, column by column
        rest, chan = np.divmod(unique, len(channels))
        rest, cur = np.divmod(rest, len(currencies))
        tenant_of, day = np.divmod(rest, 1 << 20)
        names = [code.decode("ascii") for code in currencies.tolist()]
        return cls(tenants, tenant_of, day + first, cur, names, chan, channels, sums)

    def parts(self) -> list[tuple[str, slice]]:
        """Each tenant with rows, and the slice of its rows."""
        bounds = np.searchsorted(self.tenant, np.arange(len(self.tenants) + 1)).tolist()
        return [(self.tenants[i], slice(bounds[i], bounds[i + 1])) for i in range(len(self.tenants)) if bounds[i] < bounds[i + 1]]
