"""MetricDefinition: the metric dictionary as a type (contract name)."""

from __future__ import annotations

import strawberry

from core.metrics import MetricSpec
from core.vocabulary import Dimension, Granularity, Metric


@strawberry.type(description="What a metric means, its unit, and which dimensions and granularities it supports.")
class MetricDefinition:
    metric: Metric = strawberry.field(description="The metric defined.")
    description: str = strawberry.field(
        description="One or two sentences a dashboard can show as a tooltip; the exact definition is in the docs."
    )
    unit: str = strawberry.field(
        description="COUNT, RATIO (0..1), MONEY (in the requested currency) or SCORE (NPS, -100..100)."
    )
    dimensions: list[Dimension] = strawberry.field(description="Dimensions `breakdown(metric, by)` accepts for this metric.")
    granularities: list[Granularity] = strawberry.field(
        description="Granularities `series` and `forecast` accept for this metric."
    )

    @classmethod
    def of(cls, entry: MetricSpec) -> MetricDefinition:
        return cls(
            metric=entry.metric, description=entry.description, unit=entry.unit.value,
            dimensions=[d for d in Dimension if d in entry.dimensions], granularities=list(entry.granularities),
        )
