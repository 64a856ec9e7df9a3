"""Currency conversion at each booking day's rate, exact until one final half-even rounding."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction

from loaders.facts import BookingDay, Rate

USD = "USD"


class MissingRate(LookupError):
    """A booking's currency has no fx rate at all: a data error, never silently 1.0."""


class FxTable:
    def __init__(self, rates: Mapping[str, Sequence[Rate]]) -> None:
        self._rows = {code: rows for code, rows in rates.items() if rows}
        self._days: dict[str, list[date]] = {}
        self._seen: dict[tuple[str, date], Fraction] = {}

    def usd_per_unit(self, currency: str, day: date) -> Fraction:
        """Latest rate on or before `day`; where none is that early, the earliest after it."""
        if currency == USD:
            return Fraction(1)
        seen = self._seen.get((currency, day))
        if seen is not None:
            return seen
        if currency not in self._rows:
            raise MissingRate(f"no fx rate for currency {currency}")
        if currency not in self._days:
            self._days[currency] = [rate.day for rate in self._rows[currency]]
        index = bisect.bisect_right(self._days[currency], day) - 1
        rate = self._seen[(currency, day)] = Fraction(self._rows[currency][max(index, 0)].usd_per_unit)
        return rate


def revenue(rows: Iterable[BookingDay], target: str, fx: FxTable) -> Decimal:
    """Sum of amount x rate(currency, day) / rate(target, day), rounded once.

    Amounts already in the target currency are added as they are (their rates cancel
    exactly); the others are summed in USD per day and divided by that day's target rate
    once, which is the same sum regrouped.
    """
    cents = 0
    usd_by_day: dict[date, Fraction] = {}
    for row in rows:
        if not row.amount:
            continue
        if row.currency == target:
            cents += int(row.amount.scaleb(2))
        else:
            usd = Fraction(row.amount) * fx.usd_per_unit(row.currency, row.day)
            usd_by_day[row.day] = usd_by_day.get(row.day, 0) + usd
    total = Fraction(cents, 100)
    for day, usd in usd_by_day.items():
        total += usd / fx.usd_per_unit(target, day)
    return round_cents(total)


def round_cents(value: Fraction) -> Decimal:
    # round() of a Fraction rounds half to even
    return Decimal(round(value * 100)).scaleb(-2)


def average(amount: Decimal, count: int) -> Decimal | None:
    return None if count == 0 else round_cents(Fraction(amount) / count)
