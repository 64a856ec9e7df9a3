"""MetricDefinition: the metric dictionary as a type (contract name)."""

from __future__ import annotations

import strawberry

from loaders.keys import Dimension, Granularity
from resolvers.dictionary import Definition
from resolvers.measures import Metric


@strawberry.type(description="What a metric means, its unit, and which dimensions and granularities it supports.")
class MetricDefinition:
    metric: Metric = strawberry.field(description="The metric defined.")
    description: str = strawberry.field(
        description="One or two sentences a dashboard can show as a tooltip; the exact definition is in the docs."
    )
    unit: str = strawberry.field(description="COUNT, RATIO (0..1), MONEY (in the requested currency) or SCORE (NPS, -100..100).")
    dimensions: list[Dimension] = strawberry.field(description="Dimensions `breakdown(metric, by)` accepts for this metric.")
    granularities: list[Granularity] = strawberry.field(
        description="Granularities `series` and `forecast` accept for this metric."
    )

    @classmethod
    def of(cls, definition: Definition) -> MetricDefinition:
        return cls(
            metric=definition.metric, description=definition.description, unit=definition.unit,
            dimensions=list(definition.dimensions), granularities=list(definition.granularities),
        )
