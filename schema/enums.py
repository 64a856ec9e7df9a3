"""The contract's enums, registered from the Python enums of core.vocabulary."""

from __future__ import annotations

import strawberry

from core.vocabulary import (
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
