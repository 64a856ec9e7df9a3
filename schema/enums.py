"""The contract's enums, registered from the Python enums of core.vocabulary, each value described."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

import strawberry

from core.metrics import spec
from core.vocabulary import (
    AttributionModel,
    Dimension,
    FunnelStep,
    Granularity,
    Metric,
    PrincipalKind,
    Tier,
)

E = TypeVar("E", bound=type[Enum])


def described(enum: E, name: str, description: str, values: dict[str, str]) -> E:
    """strawberry.enum with a description for every value (a value left out fails at import)."""
    registered = strawberry.enum(enum, name=name, description=description)
    definition = registered.__strawberry_definition__  # type: ignore[attr-defined]
    missing = [value.name for value in definition.values if value.name not in values]
    if missing:
        raise AssertionError(f"{name}: no description for {missing}")
    for value in definition.values:
        value.description = values[value.name]
    return registered


FunnelStepEnum = described(FunnelStep, "FunnelStep", "A step of the booking funnel, in the order a guest goes through them.", {
    "LANDING": "The first page of a visit.",
    "SEARCH": "Availability search (dates and guests).",
    "ROOM_SELECT": "Choosing a room and rate.",
    "BOOKING_FORM": "Guest and payment details.",
    "CONFIRMATION": "The booking confirmation page.",
})
TierEnum = described(Tier, "Tier", "The plan of a credential: which fields, ranges, tenants and budgets it has.", {
    "FREE": "Key metrics, series, breakdowns, charts and the funnel; short ranges, one tenant per request.",
    "PROFESSIONAL": "FREE plus forecasts, anomalies and benchmarks, and longer ranges.",
    "ENTERPRISE": "PROFESSIONAL plus portfolios of many tenants per request and the largest budgets.",
})
PrincipalKindEnum = described(PrincipalKind, "PrincipalKind", "What kind of credential the caller used.", {
    "USER": "A signed JWT (`Authorization: Bearer ...`).",
    "API_KEY": "A partner API key (`X-API-Key: agw_...`).",
})
GranularityEnum = described(Granularity, "Granularity", "The length of one period of a series, forecast or anomaly check.", {
    "DAY": "One UTC day.",
    "WEEK": "An ISO week, Monday to Sunday.",
    "MONTH": "A calendar month.",
    "QUARTER": "A calendar quarter (January-March, ...).",
    "YEAR": "A calendar year.",
})
DimensionEnum = described(Dimension, "Dimension", "What a breakdown splits a metric by.", {
    "CHANNEL": "Marketing channel of the pageview or booking, e.g. organic_search, paid_search, email, direct.",
    "DEVICE": "Device of the pageview: desktop, mobile or tablet.",
    "LOGIN_STATUS": "Whether the pageview was made logged in (logged_in) or not (logged_out).",
    "COUNTRY": "Country of the pageview (ISO 3166-1 alpha-2), `unknown` when not known.",
    "UTM_SOURCE": "The pageview's utm_source; NULL and empty are `(none)`. Pageview metrics only.",
    "UTM_MEDIUM": "The pageview's utm_medium; NULL and empty are `(none)`. Pageview metrics only.",
    "UTM_CAMPAIGN": "The pageview's utm_campaign; NULL and empty are `(none)`. Pageview metrics only.",
})
AttributionModelEnum = described(AttributionModel, "AttributionModel", "Which pageview before a booking gets its credit.", {
    "FIRST_TOUCH": "The earliest pageview of the visitor in the lookback window (ties: the lowest id).",
    "LAST_TOUCH": "The latest pageview of the visitor up to the booking (ties: the highest id).",
})
# one sentence per metric, from the registry (also `metricDefinitions.description`)
MetricEnum = described(
    Metric, "Metric", "A measured quantity; `metricDefinitions` and docs/metrics.md define each exactly.",
    {metric.name: spec(metric).description for metric in Metric},
)
