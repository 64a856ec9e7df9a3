"""What loaders return: plain rows, already summed per tenant."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple

from core.vocabulary import Dimension, Granularity

# what a traffic load is grouped by: nothing (totals), a period, or a dimension
TrafficShape = Granularity | Dimension | None


class TrafficMeasure(str, Enum):
    """What a traffic load computes: a statement computes only the measures asked for."""

    VISITORS = "visitors"
    SESSIONS = "sessions"
    PAGEVIEWS = "pageviews"
    LOGGED_IN = "logged_in"  # distinct logged-in visitors
    FUNNEL = "funnel"  # distinct sessions of each funnel step


ALL_MEASURES = frozenset(TrafficMeasure)


def measure_columns(columns: dict[TrafficMeasure, list[Any]], measures: Set[TrafficMeasure]) -> list[Any]:
    """The asked-for measures' columns, labelled by measure (`funnel0`.. for the funnel steps)."""
    out = []
    for measure in TrafficMeasure:
        if measure in measures:
            parts = columns[measure]
            names = [measure.value] if len(parts) == 1 else [f"{measure.value}{i}" for i in range(len(parts))]
            out += [part.label(name) for part, name in zip(parts, names)]
    return out


@dataclass(frozen=True)
class TenantRow:
    id: str
    name: str
    segment: str
    country: str
    currency: str


@dataclass(frozen=True)
class Traffic:
    """Distinct counts over one group of pageviews (a range, a period or a dimension value).

    A measure the load was not asked for (TrafficMeasure) is 0: read only what you asked for.
    """

    visitors: int
    sessions: int
    pageviews: int
    logged_in_visitors: int = 0
    funnel_sessions: tuple[int, ...] = (0, 0, 0, 0, 0)


EMPTY_TRAFFIC = Traffic(0, 0, 0)


class BookingDay(NamedTuple):
    """Bookings of one UTC day in one currency (and one channel when split by channel).

    A named tuple, not a frozen dataclass: a portfolio makes tens of thousands of these per
    request, and a tuple is made several times faster."""

    day: date
    currency: str
    channel: str | None
    confirmed: int
    cancelled: int
    room_nights: int
    amount: Decimal  # confirmed bookings only, in `currency`
    repeats: int  # confirmed bookings whose customer had an earlier confirmed booking
    cents: int | None = None  # amount x 100, when the loader has it as an integer already


class SurveyDay(NamedTuple):
    day: date
    answers: int
    promoters: int
    detractors: int


@dataclass(frozen=True)
class Rate:
    day: date
    usd_per_unit: Decimal
