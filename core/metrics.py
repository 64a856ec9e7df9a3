"""The metric registry: every metric declared once, with everything the layers ask of it.

Resolvers (which rows to load), breakdown validation, forecasts and anomalies (bounds,
fingerprint sources), schema descriptions and `metricDefinitions` all read this table.
Adding a metric means one entry here plus its computation in `resolvers/measures.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from core.vocabulary import Dimension, Granularity, Metric


class Source(str, Enum):
    """The warehouse tables a metric is computed from (fx rates join money metrics)."""

    PAGEVIEWS = "pageviews"
    BOOKINGS = "bookings"
    SURVEYS = "surveys"
    FX_RATES = "fx_rates"


class Unit(str, Enum):
    COUNT = "COUNT"
    RATIO = "RATIO"  # 0..1
    MONEY = "MONEY"  # in the requested currency
    SCORE = "SCORE"  # NPS, -100..100


PAGEVIEW_DIMENSIONS = (
    Dimension.CHANNEL, Dimension.DEVICE, Dimension.COUNTRY, Dimension.LOGIN_STATUS,
    Dimension.UTM_SOURCE, Dimension.UTM_MEDIUM, Dimension.UTM_CAMPAIGN,
)
BOOKING_DIMENSIONS = (Dimension.CHANNEL,)
# the smallest spread worth measuring per unit: a flat history must not make every change infinite
SPREAD_FLOOR = {Unit.COUNT: 0.5, Unit.RATIO: 1e-4, Unit.MONEY: 0.005, Unit.SCORE: 0.05}


@dataclass(frozen=True)
class MetricSpec:
    metric: Metric
    description: str
    unit: Unit
    sources: frozenset[Source]
    dimensions: tuple[Dimension, ...]
    # counts and money add up across days and dimension values; distinct counts and ratios do not
    additive: bool
    granularities: tuple[Granularity, ...] = tuple(Granularity)

    @property
    def money(self) -> bool:
        return self.unit is Unit.MONEY

    @property
    def ratio(self) -> bool:
        return self.unit is Unit.RATIO

    @property
    def bounds(self) -> tuple[float, float]:
        """Where values can lie: shares in [0, 1], NPS in [-100, 100], the rest >= 0."""
        if self.unit is Unit.RATIO:
            return 0.0, 1.0
        if self.unit is Unit.SCORE:
            return -100.0, 100.0
        return 0.0, math.inf

    @property
    def spread_floor(self) -> float:
        return SPREAD_FLOOR[self.unit]

    def reads(self, source: Source) -> bool:
        return source in self.sources


def _spec(
    metric: Metric, unit: Unit, sources: set[Source], dimensions: tuple[Dimension, ...], additive: bool, text: str
) -> MetricSpec:
    if unit is Unit.MONEY:
        sources = sources | {Source.FX_RATES}
    return MetricSpec(metric, text, unit, frozenset(sources), dimensions, additive)


PV, BK, SV = Source.PAGEVIEWS, Source.BOOKINGS, Source.SURVEYS
REGISTRY: dict[Metric, MetricSpec] = {
    spec.metric: spec
    for spec in (
        _spec(Metric.UNIQUE_VISITORS, Unit.COUNT, {PV}, PAGEVIEW_DIMENSIONS, False,
              "Distinct visitors (visitor ids) with at least one pageview in the range."),
        _spec(Metric.SESSIONS, Unit.COUNT, {PV}, PAGEVIEW_DIMENSIONS, False,
              "Distinct sessions (session ids) with at least one pageview in the range."),
        _spec(Metric.PAGEVIEWS, Unit.COUNT, {PV}, PAGEVIEW_DIMENSIONS, True,
              "Pages viewed in the range."),
        _spec(Metric.BOOKINGS, Unit.COUNT, {BK}, BOOKING_DIMENSIONS, True,
              "Confirmed bookings made (booked_at) in the range."),
        _spec(Metric.CANCELLATIONS, Unit.COUNT, {BK}, BOOKING_DIMENSIONS, True,
              "Bookings made in the range whose status is cancelled."),
        _spec(Metric.ROOM_NIGHTS, Unit.COUNT, {BK}, BOOKING_DIMENSIONS, True,
              "Nights times rooms over the confirmed bookings of the range."),
        _spec(Metric.REVENUE, Unit.MONEY, {BK}, BOOKING_DIMENSIONS, True,
              "Amount of the confirmed bookings, each converted at its booking day's rate, rounded once."),
        _spec(Metric.AVERAGE_BOOKING_VALUE, Unit.MONEY, {BK}, BOOKING_DIMENSIONS, False,
              "Revenue divided by confirmed bookings; null without bookings."),
        _spec(Metric.CONVERSION_RATE, Unit.RATIO, {PV, BK}, BOOKING_DIMENSIONS, False,
              "Confirmed bookings divided by unique visitors; null without visitors."),
        _spec(Metric.CANCELLATION_RATE, Unit.RATIO, {BK}, BOOKING_DIMENSIONS, False,
              "Cancellations divided by confirmed plus cancelled bookings; null when both are 0."),
        _spec(Metric.REPEAT_BOOKING_RATE, Unit.RATIO, {BK}, BOOKING_DIMENSIONS, False,
              "Share of confirmed bookings whose customer had an earlier confirmed booking (at any time)."),
        _spec(Metric.NPS, Unit.SCORE, {SV}, (), False,
              "Net promoter score: 100 * (answers 9-10 minus answers 0-6) / answers; null without answers."),
    )
}
assert set(REGISTRY) == set(Metric), "every metric needs a registry entry"


def spec(metric: Metric) -> MetricSpec:
    return REGISTRY[metric]


def reading(source: Source) -> frozenset[Metric]:
    """The metrics computed (also) from `source`."""
    return frozenset(metric for metric, entry in REGISTRY.items() if entry.reads(source))
