"""The contract's enums, registered from the Python enums the layers below use."""

from __future__ import annotations

from enum import Enum

import strawberry

from auth.principal import PrincipalKind
from auth.tiers import Tier
from loaders.keys import AttributionModel, Dimension, Granularity
from resolvers.measures import Metric


@strawberry.enum
class FunnelStep(Enum):
    LANDING = "landing"
    SEARCH = "search"
    ROOM_SELECT = "room_select"
    BOOKING_FORM = "booking_form"
    CONFIRMATION = "confirmation"


TierEnum = strawberry.enum(Tier, name="Tier")
PrincipalKindEnum = strawberry.enum(PrincipalKind, name="PrincipalKind")
GranularityEnum = strawberry.enum(Granularity, name="Granularity")
DimensionEnum = strawberry.enum(Dimension, name="Dimension")
MetricEnum = strawberry.enum(Metric, name="Metric")
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
