"""The metric dictionary of `Query.metricDefinitions`: meaning, unit, dimensions, granularities.

Dimensions come from the same table `breakdown` checks (resolvers.inputs.DIMENSION_METRICS),
so the dictionary cannot promise a pairing that breakdown refuses, or hide one it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from loaders.keys import Dimension, Granularity
from resolvers.inputs import DIMENSION_METRICS
from resolvers.measures import MONEY_METRICS, Metric


@dataclass(frozen=True)
class Definition:
    metric: Metric
    description: str
    unit: str
    dimensions: tuple[Dimension, ...]
    granularities: tuple[Granularity, ...]


RATIOS = frozenset({Metric.CONVERSION_RATE, Metric.CANCELLATION_RATE, Metric.REPEAT_BOOKING_RATE})
SCORES = frozenset({Metric.NPS})
DESCRIPTIONS = {
    Metric.UNIQUE_VISITORS: "People who visited the site: distinct visitor ids with at least one pageview.",
    Metric.SESSIONS: "Visits: distinct sessions with at least one pageview.",
    Metric.PAGEVIEWS: "Pages viewed on the site, every view counted.",
    Metric.BOOKINGS: "Bookings made in the period that are confirmed (not cancelled).",
    Metric.CANCELLATIONS: "Bookings made in the period that have been cancelled.",
    Metric.ROOM_NIGHTS: "Rooms times nights of the confirmed bookings.",
    Metric.REVENUE: "Value of the confirmed bookings, each converted at its booking day's exchange rate, "
                    "rounded to cents once.",
    Metric.AVERAGE_BOOKING_VALUE: "Revenue divided by the confirmed bookings; null without bookings.",
    Metric.CONVERSION_RATE: "Confirmed bookings per unique visitor; null without visitors.",
    Metric.CANCELLATION_RATE: "Cancelled share of the bookings made: cancellations / (bookings + cancellations).",
    Metric.REPEAT_BOOKING_RATE: "Share of confirmed bookings whose customer had a confirmed booking before, "
                                "at any earlier time.",
    Metric.NPS: "Net promoter score of the survey answers: % promoters (9-10) minus % detractors (0-6), -100..100.",
}


def unit(metric: Metric) -> str:
    if metric in MONEY_METRICS:
        return "MONEY"
    if metric in RATIOS:
        return "RATIO"
    return "SCORE" if metric in SCORES else "COUNT"


def definitions() -> list[Definition]:
    """In the order of the Metric enum; dimensions in the order of the Dimension enum."""
    return [
        Definition(
            metric=metric,
            description=DESCRIPTIONS[metric],
            unit=unit(metric),
            dimensions=tuple(d for d in Dimension if metric in DIMENSION_METRICS[d]),
            granularities=tuple(Granularity),  # series and forecast accept every granularity for every metric
        )
        for metric in Metric
    ]
