"""The booking funnel and the login split, both from the range's traffic totals."""

from __future__ import annotations

from dataclasses import dataclass

from core.calendar import DayRange
from core.vocabulary import FUNNEL_STEPS
from loaders.dataloaders import Loaders
from loaders.facts import TrafficMeasure
from resolvers.breakdown import Row, ranked
from resolvers.measures import ratio
from resolvers.sources import traffic_total


@dataclass(frozen=True)
class Step:
    step: str  # one of FUNNEL_STEPS
    sessions: int
    conversion_from_previous: float | None


async def funnel(loaders: Loaders, tenant_id: str, days: DayRange) -> list[Step]:
    return steps_of((await traffic_total(loaders, tenant_id, days, TrafficMeasure.FUNNEL)).funnel_sessions)


def steps_of(sessions: tuple[int, ...]) -> list[Step]:
    """The five steps from their session counts, with conversion from the previous step."""
    return [
        Step(step, count, None if index == 0 else ratio(count, sessions[index - 1]))
        for index, (step, count) in enumerate(zip(FUNNEL_STEPS, sessions))
    ]


async def login_status(loaders: Loaders, tenant_id: str, days: DayRange) -> list[Row]:
    traffic = await traffic_total(loaders, tenant_id, days, TrafficMeasure.VISITORS, TrafficMeasure.LOGGED_IN)
    logged_in = traffic.logged_in_visitors
    return ranked({"logged_in": logged_in, "logged_out": traffic.visitors - logged_in})
