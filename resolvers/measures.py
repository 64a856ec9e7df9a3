"""Every metric of metrics.md as a function of three sums: traffic, bookings and surveys."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.metrics import Source, reading
from core.vocabulary import Metric
from loaders.facts import EMPTY_TRAFFIC, BookingDay, SurveyDay, Traffic
from resolvers.money import FxTable, average, revenue

# which loads a metric needs, from the registry
NEEDS_TRAFFIC = reading(Source.PAGEVIEWS)
NEEDS_BOOKINGS = reading(Source.BOOKINGS)
NEEDS_SURVEYS = reading(Source.SURVEYS)


@dataclass(frozen=True)
class BookingSums:
    confirmed: int = 0
    cancelled: int = 0
    room_nights: int = 0
    repeats: int = 0
    revenue: Decimal = Decimal("0.00")

    @property
    def average_value(self) -> Decimal | None:
        return average(self.revenue, self.confirmed)


@dataclass(frozen=True)
class SurveySums:
    answers: int = 0
    promoters: int = 0
    detractors: int = 0

    @property
    def nps(self) -> float | None:
        return None if self.answers == 0 else 100 * (self.promoters - self.detractors) / self.answers


def sum_bookings(rows: Iterable[BookingDay], target: str, fx: FxTable) -> BookingSums:
    rows = list(rows)
    return BookingSums(
        confirmed=sum(r.confirmed for r in rows),
        cancelled=sum(r.cancelled for r in rows),
        room_nights=sum(r.room_nights for r in rows),
        repeats=sum(r.repeats for r in rows),
        revenue=revenue(rows, target, fx),
    )


def sum_surveys(rows: Iterable[SurveyDay]) -> SurveySums:
    rows = list(rows)
    return SurveySums(
        sum(r.answers for r in rows), sum(r.promoters for r in rows), sum(r.detractors for r in rows)
    )


def ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def value_of(
    metric: Metric,
    traffic: Traffic = EMPTY_TRAFFIC,
    bookings: BookingSums = BookingSums(),
    surveys: SurveySums = SurveySums(),
) -> float | None:
    """The metric's value over whatever rows the three sums were made from."""
    value: int | float | Decimal | None
    match metric:
        case Metric.UNIQUE_VISITORS:
            value = traffic.visitors
        case Metric.SESSIONS:
            value = traffic.sessions
        case Metric.PAGEVIEWS:
            value = traffic.pageviews
        case Metric.BOOKINGS:
            value = bookings.confirmed
        case Metric.CANCELLATIONS:
            value = bookings.cancelled
        case Metric.ROOM_NIGHTS:
            value = bookings.room_nights
        case Metric.REVENUE:
            value = bookings.revenue
        case Metric.AVERAGE_BOOKING_VALUE:
            value = bookings.average_value
        case Metric.CONVERSION_RATE:
            value = ratio(bookings.confirmed, traffic.visitors)
        case Metric.CANCELLATION_RATE:
            value = ratio(bookings.cancelled, bookings.confirmed + bookings.cancelled)
        case Metric.REPEAT_BOOKING_RATE:
            value = ratio(bookings.repeats, bookings.confirmed)
        case Metric.NPS:
            value = surveys.nps
    return None if value is None else float(value)
