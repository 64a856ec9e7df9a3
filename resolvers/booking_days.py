"""A range's bookings summed per day once, in the target currency; every total and period of
the range then adds up those days instead of the booking rows again.

Exact: a day's revenue is already one integer sum (money.revenue groups by day the same way),
so the days of a period add up to the same sums the period's rows give. Counts and cents are
int64 columns (numpy); amounts in other currencies times their scaled rates exceed 64 bits, so
those few per-day values are Python integers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

import numpy as np

from loaders.booking_columns import BookingColumns
from resolvers.measures import BookingSums
from resolvers.money import FxTable, Inexact, round_sum

K = TypeVar("K", bound=Hashable)
COUNTS = ("confirmed", "cancelled", "room_nights", "repeats")


@dataclass(frozen=True)
class DaySums:
    """Day i of `days` (ascending): its counts (COUNTS' order), amounts in the target currency
    in cents, and amounts in other currencies in 1e-(2 + RATE_DIGITS) USD with the target's
    scaled rate of that day (0 and 0 where there are none)."""

    days: list[date]
    counts: np.ndarray  # shape (len(COUNTS) + 1, days): the counts, then the cents
    usd: list[int]
    rate: list[int]


def per_day(columns: BookingColumns, target: str, fx: FxTable | None) -> DaySums:
    """Without `fx` no money is summed. Raises money.Inexact for sums beyond 64 bits (the rows'
    path then adds them), MissingRate for a currency without rates."""
    ordinals, day = np.unique(columns.day, return_inverse=True)
    day = day.reshape(-1)
    days = [date.fromordinal(ordinal) for ordinal in ordinals.tolist()]
    counts = np.zeros((len(COUNTS) + 1, len(days)), dtype=np.int64)
    np.add.at(counts[: len(COUNTS)], (slice(None), day), np.stack([getattr(columns, name) for name in COUNTS]))
    usd, rate = [0] * len(days), [0] * len(days)
    if fx is None or not len(columns):
        return DaySums(days, counts, usd, rate)
    largest = max(-int(columns.cents.min()), int(columns.cents.max()))  # np.abs(-2**63) would wrap
    if largest * len(columns) >= 1 << 63:
        raise Inexact("amounts too large for 64-bit sums")
    own = columns.currency == (columns.currencies.index(target) if target in columns.currencies else -1)
    np.add.at(counts[len(COUNTS)], day[own], columns.cents[own])
    foreign = np.flatnonzero(~own & (columns.cents != 0))  # a few rows a day: as Python integers
    for i, code, cents in zip(day[foreign].tolist(), columns.currency[foreign].tolist(), columns.cents[foreign].tolist()):
        usd[i] += cents * fx.scaled(columns.currencies[code], days[i])
    for i, amount in enumerate(usd):
        if amount:
            rate[i] = fx.scaled(target, days[i])
    return DaySums(days, counts, usd, rate)


def grouped(daily: DaySums, key: Callable[[date], K], money: bool) -> dict[K, BookingSums]:
    groups: dict[K, int] = {}
    index = [groups.setdefault(key(day), len(groups)) for day in daily.days]
    sums = np.zeros((len(COUNTS) + 1, len(groups)), dtype=np.int64)
    np.add.at(sums, (slice(None), np.array(index, dtype=np.int64)), daily.counts)
    quotients: list[list[tuple[int, int]]] = [[] for _ in groups]
    for g, amount, rate in zip(index, daily.usd, daily.rate):
        if amount:
            quotients[g].append((amount, rate))
    return {group: _sums(sums[:, g].tolist(), quotients[g], money) for group, g in groups.items()}


def _sums(column: list[int], quotients: list[tuple[int, int]], money: bool) -> BookingSums:
    confirmed, cancelled, room_nights, repeats, cents = column
    return BookingSums(
        confirmed=confirmed,
        cancelled=cancelled,
        room_nights=room_nights,
        repeats=repeats,
        revenue=round_sum(cents, quotients) if money else Decimal("0.00"),
    )
