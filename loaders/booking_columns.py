"""One tenant's bookings of a range per day and currency, as columns (numpy) instead of rows.

The same numbers as the BookingDay rows of `Loaders.bookings` without channels; a portfolio's
per-day sums are added up from these arrays (resolvers/booking_days.py) instead of ~10,000
row objects made and walked in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from loaders.facts import BookingDay

MEASURES = ("confirmed", "cancelled", "room_nights", "repeats", "cents")


@dataclass(frozen=True)
class BookingColumns:
    """Row i: day ordinal day[i], currency currencies[currency[i]], and its sums (int64).
    `cents`: the confirmed bookings' amount in its currency, in cents."""

    currencies: tuple[str, ...]
    day: np.ndarray
    currency: np.ndarray
    confirmed: np.ndarray
    cancelled: np.ndarray
    room_nights: np.ndarray
    repeats: np.ndarray
    cents: np.ndarray

    @classmethod
    def empty(cls) -> BookingColumns:
        return cls((), *[np.zeros(0, dtype=np.int64)] * 7)

    def __len__(self) -> int:
        return len(self.day)

    def paid_currencies(self) -> set[str]:
        """The currencies of the rows with money (those a conversion needs rates of)."""
        return {self.currencies[i] for i in np.unique(self.currency[self.cents != 0]).tolist()}

    @classmethod
    def of_rows(cls, rows: Sequence[BookingDay]) -> BookingColumns | None:
        """The rows as columns; None when an amount has more than two decimals (never from a
        store: the caller then sums the rows with Fractions)."""
        if not rows:
            return cls.empty()
        cents = []
        for row in rows:
            if row.cents is not None:
                cents.append(row.cents)
                continue
            scaled = row.amount.scaleb(2)
            if scaled != int(scaled):
                return None
            cents.append(int(scaled))
        names = sorted({row.currency for row in rows})
        index = {code: i for i, code in enumerate(names)}

        def column(values: Sequence[int]) -> np.ndarray:
            return np.array(values, dtype=np.int64)

        try:
            return cls(
                tuple(names),
                column([row.day.toordinal() for row in rows]),
                column([index[row.currency] for row in rows]),
                column([row.confirmed for row in rows]),
                column([row.cancelled for row in rows]),
                column([row.room_nights for row in rows]),
                column([row.repeats for row in rows]),
                column(cents),
            )
        except OverflowError:  # sums beyond 64 bits: the rows' path adds them as Python integers
            return None
