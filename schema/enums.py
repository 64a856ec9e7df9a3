"""The contract's enums, registered from the Python enums the layers below use."""

from __future__ import annotations

from enum import Enum

import strawberry

from auth.principal import PrincipalKind
from auth.tiers import Tier
from loaders.keys import Dimension, Granularity
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
