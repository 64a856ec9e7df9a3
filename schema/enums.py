"""The contract's enums, registered from the Python enums of core.vocabulary."""

from __future__ import annotations

import strawberry

from core.vocabulary import (
    AttributionModel,
    Dimension,
    FunnelStep,
    Granularity,
    Metric,
    PrincipalKind,
    Tier,
)

TierEnum = strawberry.enum(Tier, name="Tier")
PrincipalKindEnum = strawberry.enum(PrincipalKind, name="PrincipalKind")
GranularityEnum = strawberry.enum(Granularity, name="Granularity")
DimensionEnum = strawberry.enum(Dimension, name="Dimension")
MetricEnum = strawberry.enum(Metric, name="Metric")
FunnelStepEnum = strawberry.enum(FunnelStep, name="FunnelStep")
AttributionModelEnum = strawberry.enum(
    AttributionModel, name="AttributionModel", description="Which pageview before a booking gets its credit."
)


def _describe(enum: type[Enum], descriptions: dict[str, str]) -> None:
    """Descriptions of enum values, for enums that are plain Python enums below the schema."""
    for value in enum.__strawberry_definition__.values:  # type: ignore[attr-defined]
        if value.name in descriptions:
            value.description = descriptions[value.name]


_describe(Dimension, {
    "UTM_SOURCE": "The pageview's utm_source; NULL and empty are `(none)`. Pageview metrics only.",
    "UTM_MEDIUM": "The pageview's utm_medium; NULL and empty are `(none)`. Pageview metrics only.",
    "UTM_CAMPAIGN": "The pageview's utm_campaign; NULL and empty are `(none)`. Pageview metrics only.",
})
_describe(AttributionModel, {
    "FIRST_TOUCH": "The earliest pageview of the visitor in the lookback window (ties: the lowest id).",
    "LAST_TOUCH": "The latest pageview of the visitor up to the booking (ties: the highest id).",
})
