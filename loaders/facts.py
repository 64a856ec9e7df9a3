"""What loaders return: plain rows, already summed per tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.vocabulary import Dimension, Granularity

# what a traffic load is grouped by: nothing (totals), a period, or a dimension
TrafficShape = Granularity | Dimension | None


@dataclass(frozen=True)
class TenantRow:
    id: str
    name: str
    segment: str
    country: str
    currency: str


@dataclass(frozen=True)
class Traffic:
    """Distinct counts over one group of pageviews (a range, a period or a dimension value)."""

    visitors: int
    sessions: int
    pageviews: int
    logged_in_visitors: int = 0
    funnel_sessions: tuple[int, ...] = (0, 0, 0, 0, 0)


EMPTY_TRAFFIC = Traffic(0, 0, 0)


@dataclass(frozen=True)
class BookingDay:
    """Bookings of one UTC day in one currency (and one channel when split by channel)."""

    day: date
    currency: str
    channel: str | None
    confirmed: int
    cancelled: int
    room_nights: int
    amount: Decimal  # confirmed bookings only, in `currency`
    repeats: int  # confirmed bookings whose customer had an earlier confirmed booking


@dataclass(frozen=True)
class SurveyDay:
    day: date
    answers: int
    promoters: int
    detractors: int


@dataclass(frozen=True)
class Rate:
    day: date
    usd_per_unit: Decimal
