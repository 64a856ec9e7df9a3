"""Currency conversion at each booking day's rate, exact until one final half-even rounding."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal
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
    """Sum of amount x rate(currency, day) / rate(target, day), rounded once (half to even).

    Amounts already in the target currency are added as they are, in whole cents (their rates
    cancel exactly); the others are summed in USD per day and divided by that day's target rate
    once, which is the same sum regrouped. Adding a year of those daily quotients as Fractions
    makes denominators of thousands of digits, so they are added as 60-digit decimals instead,
    with a bound on the error: when the bound cannot tell on which side of a half cent the exact
    sum lies, the exact Fraction sum decides. Either way the result is the exact sum's rounding.
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
    quotients = [usd / fx.usd_per_unit(target, day) for day, usd in usd_by_day.items()]
    return _round_sum(cents, quotients)


_WIDE = Context(prec=60, rounding=ROUND_HALF_EVEN)
# relative error of one 60-digit operation, and a margin for how many of them add up
_EPSILON = Decimal("1e-50")


def _round_sum(cents: int, quotients: list[Fraction]) -> Decimal:
    """round_cents(cents / 100 + sum(quotients)), without adding the Fractions when it can."""
    if not quotients:
        return Decimal(cents).scaleb(-2)
    approx = Decimal(cents)  # in cents
    size = Decimal(abs(cents))
    for q in quotients:
        term = _WIDE.divide(Decimal(q.numerator * 100), Decimal(q.denominator))
        approx = _WIDE.add(approx, term)
        size = _WIDE.add(size, abs(term))
    # each division and addition is off by at most 1e-59 relative: 1e-50 of everything summed
    # covers any number of terms a request can hold (less than 1e8)
    error = _WIDE.multiply(size, _EPSILON) + _EPSILON
    low = _WIDE.to_integral_value(_WIDE.subtract(approx, error))  # half to even
    high = _WIDE.to_integral_value(_WIDE.add(approx, error))
    if low == high:  # the whole error interval rounds to one cent
        return Decimal(int(low)).scaleb(-2)
    return round_cents(Fraction(cents, 100) + sum(quotients, Fraction(0)))


def round_cents(value: Fraction) -> Decimal:
    # round() of a Fraction rounds half to even
    return Decimal(round(value * 100)).scaleb(-2)


def average(amount: Decimal, count: int) -> Decimal | None:
    return None if count == 0 else round_cents(Fraction(amount) / count)
