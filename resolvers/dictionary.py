"""The metric dictionary of `Query.metricDefinitions`, read from the metric registry.

Breakdown validates against the same registry entries (resolvers.inputs.check_dimension), so
the dictionary cannot promise a pairing that breakdown refuses, or hide one it accepts.
"""

from __future__ import annotations

from core.metrics import REGISTRY, MetricSpec
from core.vocabulary import Metric


def definitions() -> list[MetricSpec]:
    """In the order of the Metric enum."""
    return [REGISTRY[metric] for metric in Metric]
