"""Per-day booking sums from columns (numpy) equal the definition summed over the rows."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from core.calendar import DayRange
from loaders import booking_packs
from loaders.booking_columns import BookingColumns
from loaders.facts import BookingDay, Rate
from resolvers.booking_days import grouped, per_day
from resolvers.money import FxTable, Inexact, MissingRate

START = date(2025, 1, 1)
DAYS = [START + timedelta(days=i) for i in range(120)]
CODES = ["EUR", "CHF", "GBP", "USD"]


def _fx(rng: random.Random) -> FxTable:
    return FxTable({code: [Rate(d, Decimal(rng.randrange(50_000_000, 200_000_000)).scaleb(-8)) for d in DAYS[::3]]
                    for code in ("EUR", "CHF", "GBP")})


def _rows(rng: random.Random, n: int) -> list[BookingDay]:
    """Unsorted, several rows of a day and currency, zero and negative amounts."""
    return [
        BookingDay(rng.choice(DAYS), rng.choice(CODES), None, rng.randint(0, 9), rng.randint(0, 3), rng.randint(0, 30),
                   Decimal(rng.choice([0, rng.randrange(-5_000, 900_000)])).scaleb(-2), rng.randint(0, 4))
        for _ in range(n)
    ]


def _oracle(rows: list[BookingDay], key, target: str, fx: FxTable) -> dict:  # type: ignore[no-untyped-def]
    """Each group's counts, and its revenue term by term in Fractions, rounded once half to even."""
    out: dict = defaultdict(lambda: [0, 0, 0, 0, Fraction(0)])
    for r in rows:
        sums = out[key(r.day)]
        for i, value in enumerate((r.confirmed, r.cancelled, r.room_nights, r.repeats)):
            sums[i] += value
        sums[4] += Fraction(r.amount) * fx.usd_per_unit(r.currency, r.day) / fx.usd_per_unit(target, r.day)
    return {k: (*v[:4], Decimal(round(v[4] * 100)).scaleb(-2)) for k, v in out.items()}


@pytest.mark.parametrize("seed", range(6))
def test_grouped_day_sums_equal_the_rows_summed_by_definition(seed: int) -> None:
    rng = random.Random(seed)
    fx, rows = _fx(rng), _rows(rng, rng.choice([1, 40, 900]))
    columns = BookingColumns.of_rows(rows)
    assert columns is not None
    for target in ("CHF", "USD", "EUR"):
        daily = per_day(columns, target, fx)
        for key in (lambda d: None, lambda d: d.replace(day=1), lambda d: d):
            got = {k: (s.confirmed, s.cancelled, s.room_nights, s.repeats, s.revenue) for k, s in grouped(daily, key, True).items()}
            assert got == _oracle(rows, key, target, fx), (seed, target)
        # without money: the same counts, no rate read
        counts = grouped(per_day(columns, target, None), lambda d: None, False)
        assert counts[None].confirmed == sum(r.confirmed for r in rows)
        assert counts[None].revenue == Decimal("0.00")


def test_columns_refuse_what_the_integer_path_cannot_hold() -> None:
    row = BookingDay(START, "EUR", None, 1, 0, 1, Decimal("10.005"), 0)
    assert BookingColumns.of_rows([row]) is None  # a third decimal: the rows' Fraction path sums it
    assert BookingColumns.of_rows([row._replace(amount=Decimal(10) ** 17)]) is None  # beyond 64 bits
    empty = BookingColumns.of_rows([])
    assert empty is not None and len(empty) == 0 and grouped(per_day(empty, "EUR", None), lambda d: None, True) == {}
    # each amount fits 64 bits, their sum may not: per_day refuses (the rows' path adds them)
    big = [row._replace(amount=Decimal(4 * 10**16), day=START + timedelta(days=i)) for i in range(3)]
    columns = BookingColumns.of_rows(big)
    assert columns is not None
    with pytest.raises(Inexact):
        per_day(columns, "EUR", FxTable({"EUR": [Rate(START, Decimal(1))]}))
    lowest = BookingColumns.of_rows([row._replace(amount=Decimal(-(2**63)).scaleb(-2))])  # its absolute value wraps in int64
    assert lowest is not None
    with pytest.raises(Inexact):
        per_day(lowest, "EUR", FxTable({"EUR": [Rate(START, Decimal(1))]}))


def test_a_currency_without_rates_is_an_error_not_a_rate_of_one() -> None:
    rows = [BookingDay(START, "JPY", None, 1, 0, 1, Decimal("1000.00"), 0)]
    fx = FxTable({"EUR": [Rate(START, Decimal("1.1"))]})
    with pytest.raises(MissingRate):
        per_day(BookingColumns.of_rows(rows), "EUR", fx)  # type: ignore[arg-type]
    # counts need no rate
    assert grouped(per_day(BookingColumns.of_rows(rows), "EUR", None), lambda d: None, False)[None].confirmed == 1  # type: ignore[arg-type]


def test_columns_from_packs_equal_the_rows_from_the_same_packs() -> None:
    rng = random.Random(3)
    packs = []
    for tenant in ("t-a", "t-b", "t-c"):
        for month in (START, date(2025, 2, 1), date(2025, 3, 1)):
            records = np.zeros(rng.randint(0, 60), dtype=booking_packs.RECORD)
            for record in records:
                record["day"] = (month + timedelta(days=rng.randint(0, 27))).toordinal()
                record["currency"] = rng.choice(CODES).encode()
                record["channel"] = rng.randint(1, 3)
                for name in ("confirmed", "cancelled", "room_nights", "repeats"):
                    record[name] = rng.randint(0, 5)
                record["cents"] = rng.randrange(-1000, 10**8)
            packs.append((tenant, month, records.tobytes()))
    days = DayRange(date(2025, 1, 10), date(2025, 3, 5))
    columns = booking_packs.booking_columns(packs, days)
    rows = booking_packs.booking_days(packs, days, by_channel=False)
    assert set(columns) == set(rows) == {"t-a", "t-b", "t-c"}
    for tenant, found in rows.items():
        got = columns[tenant]
        assert [(date.fromordinal(d), got.currencies[c], *rest) for d, c, *rest in zip(
            *(getattr(got, name).tolist() for name in ("day", "currency", "confirmed", "cancelled", "room_nights", "repeats", "cents"))
        )] == [(r.day, r.currency, r.confirmed, r.cancelled, r.room_nights, r.repeats, r.cents) for r in found]
        assert all(days.start <= r.day <= days.end for r in found)
