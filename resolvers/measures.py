"""Every metric of metrics.md as a function of three sums: traffic, bookings and surveys."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.metrics import REGISTRY, Source, reading, spec
from core.vocabulary import Metric
from loaders.facts import EMPTY_TRAFFIC, BookingDay, SurveyDay, Traffic, TrafficMeasure
from resolvers.money import FxTable, average, revenue

# which loads a metric needs, from the registry
NEEDS_TRAFFIC = reading(Source.PAGEVIEWS)
NEEDS_BOOKINGS = reading(Source.BOOKINGS)
NEEDS_SURVEYS = reading(Source.SURVEYS)
NEEDS_MONEY = frozenset(metric for metric, entry in REGISTRY.items() if entry.money)


def currency_of(metric: Metric, code: str) -> str | None:
    """The currency a value of `metric` is in when money is reported in `code`; None if not money."""
    return code if spec(metric).money else None


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


def sum_bookings(rows: Iterable[BookingDay], target: str, fx: FxTable | None) -> BookingSums:
    """Without `fx` the revenue is not computed (left at 0): for callers that need no money."""
    rows = list(rows)
    confirmed = cancelled = room_nights = repeats = 0
    for row in rows:  # one pass: a portfolio sums ~20,000 rows several times per request
        confirmed += row.confirmed
        cancelled += row.cancelled
        room_nights += row.room_nights
        repeats += row.repeats
    return BookingSums(
        confirmed=confirmed,
        cancelled=cancelled,
        room_nights=room_nights,
        repeats=repeats,
        revenue=revenue(rows, target, fx) if fx is not None else Decimal("0.00"),
    )


def sum_surveys(rows: Iterable[SurveyDay]) -> SurveySums:
    rows = list(rows)
    return SurveySums(
        sum(r.answers for r in rows), sum(r.promoters for r in rows), sum(r.detractors for r in rows)
    )


def ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


# the traffic measures value_of reads for each metric (those it computes from traffic)
TRAFFIC_MEASURES = {
    Metric.UNIQUE_VISITORS: (TrafficMeasure.VISITORS,),
    Metric.SESSIONS: (TrafficMeasure.SESSIONS,),
    Metric.PAGEVIEWS: (TrafficMeasure.PAGEVIEWS,),
    Metric.CONVERSION_RATE: (TrafficMeasure.VISITORS,),
}


def traffic_measures(metric: Metric) -> tuple[TrafficMeasure, ...]:
    return TRAFFIC_MEASURES.get(metric, ())


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
