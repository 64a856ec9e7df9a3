"""A range's bookings summed per day once, in the target currency; every total and period of
the range then adds up those days instead of the booking rows again.

Exact: a day's revenue is already one integer sum (money.revenue groups by day the same way),
so the days of a period add up to the same sums the period's rows give.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from loaders.facts import BookingDay
from resolvers.measures import BookingSums
from resolvers.money import FxTable, integer, round_sum

K = TypeVar("K", bound=Hashable)


@dataclass(slots=True)
class DaySums:
    confirmed: int = 0
    cancelled: int = 0
    room_nights: int = 0
    repeats: int = 0
    cents: int = 0  # amounts in the target currency
    usd: int = 0  # amounts in other currencies, in 1e-(2 + RATE_DIGITS) USD
    rate: int = 0  # the target's scaled rate of the day, when `usd`


def per_day(rows: Iterable[BookingDay], target: str, fx: FxTable | None) -> dict[date, DaySums]:
    """Without `fx` no money is summed. Raises money.Inexact for amounts or rates of more
    decimals than a store holds, MissingRate for a currency without rates."""
    out: dict[date, DaySums] = {}
    for day, currency, _channel, confirmed, cancelled, room_nights, amount, repeats, cents in rows:  # unpacked: a portfolio has ~20,000
        sums = out.get(day)
        if sums is None:
            sums = out[day] = DaySums()
        sums.confirmed += confirmed
        sums.cancelled += cancelled
        sums.room_nights += room_nights
        sums.repeats += repeats
        if fx is not None and amount:
            whole = cents if cents is not None else integer(amount, 2)
            if currency == target:
                sums.cents += whole
            else:
                sums.usd += whole * fx.scaled(currency, day)
    if fx is not None:
        for day, sums in out.items():
            if sums.usd:
                sums.rate = fx.scaled(target, day)
    return out


def grouped(days: dict[date, DaySums], key: Callable[[date], K], money: bool) -> dict[K, BookingSums]:
    groups: dict[K, list[DaySums]] = defaultdict(list)
    for day, sums in days.items():
        groups[key(day)].append(sums)
    return {group: total(members, money) for group, members in groups.items()}


def total(days: Sequence[DaySums], money: bool) -> BookingSums:
    return BookingSums(
        confirmed=sum(d.confirmed for d in days),
        cancelled=sum(d.cancelled for d in days),
        room_nights=sum(d.room_nights for d in days),
        repeats=sum(d.repeats for d in days),
        revenue=round_sum(sum(d.cents for d in days), [(d.usd, d.rate) for d in days if d.usd])
        if money
        else Decimal("0.00"),
    )
