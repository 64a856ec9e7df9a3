"""KeyMetrics, Money and the row types of series, breakdowns and the funnel."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry import Private
from strawberry.types import Info

from core.calendar import DayRange
from core.vocabulary import FunnelStep, Metric
from loaders.facts import TenantRow
from resolvers.breakdown import Row
from resolvers.funnel import Step
from resolvers.measures import BookingSums, value_of
from resolvers.series import Point
from resolvers.sources import bookings_total, surveys_total, traffic_total
from schema import (
    costs,
    enums,  # noqa: F401 - registers FunnelStep
)
from schema.context import Context


@strawberry.type
class Money:
    amount: Decimal
    currency: str


@strawberry.type
class SeriesPoint:
    start: date = strawberry.field(description="First day of the period inside the requested range.")
    value: float | None = strawberry.field(description="Null where a ratio metric has no denominator in that period.")

    @classmethod
    def of(cls, point: Point) -> SeriesPoint:
        return cls(start=point.start, value=point.value)


@strawberry.type
class BreakdownRow:
    key: str
    value: float | None
    share: float | None = strawberry.field(description="value / sum of all rows' values (rows of a breakdown sum to 1).")

    @classmethod
    def of(cls, row: Row) -> BreakdownRow:
        return cls(key=row.key, value=row.value, share=row.share)


@strawberry.type
class FunnelStepRow:
    step: FunnelStep
    sessions: int
    conversion_from_previous: float | None = strawberry.field(
        description="sessions / sessions of the previous step; null for the first step or a zero previous step."
    )

    @classmethod
    def of(cls, step: Step) -> FunnelStepRow:
        return cls(step=FunnelStep(step.step), sessions=step.sessions, conversion_from_previous=step.conversion_from_previous)


@strawberry.type
class KeyMetrics:
    """Each field loads only what it needs; loaders share the loads between fields and tenants."""

    tenant: Private[TenantRow]
    days: Private[DayRange]
    currency: Private[str]

    @strawberry.field
    async def unique_visitors(self, info: Info[Context, None]) -> int:
        return (await traffic_total(info.context.loaders, self.tenant.id, self.days)).visitors

    @strawberry.field
    async def sessions(self, info: Info[Context, None]) -> int:
        return (await traffic_total(info.context.loaders, self.tenant.id, self.days)).sessions

    @strawberry.field
    async def pageviews(self, info: Info[Context, None]) -> int:
        return (await traffic_total(info.context.loaders, self.tenant.id, self.days)).pageviews

    @strawberry.field
    async def bookings(self, info: Info[Context, None]) -> int:
        return (await self._bookings(info)).confirmed

    @strawberry.field
    async def cancellations(self, info: Info[Context, None]) -> int:
        return (await self._bookings(info)).cancelled

    @strawberry.field
    async def room_nights(self, info: Info[Context, None]) -> int:
        return (await self._bookings(info)).room_nights

    @strawberry.field
    async def revenue(self, info: Info[Context, None]) -> Money:
        return Money(amount=(await self._bookings(info)).revenue, currency=self.currency)

    @strawberry.field(description="Null when there are no bookings.")
    async def average_booking_value(self, info: Info[Context, None]) -> Money | None:
        amount = (await self._bookings(info)).average_value
        return None if amount is None else Money(amount=amount, currency=self.currency)

    @strawberry.field(description="Null when there are no visitors.")
    async def conversion_rate(self, info: Info[Context, None]) -> float | None:
        traffic = await traffic_total(info.context.loaders, self.tenant.id, self.days)
        return value_of(Metric.CONVERSION_RATE, traffic, await self._bookings(info))

    @strawberry.field(description="Null when there are neither bookings nor cancellations.")
    async def cancellation_rate(self, info: Info[Context, None]) -> float | None:
        return value_of(Metric.CANCELLATION_RATE, bookings=await self._bookings(info))

    @strawberry.field(description="Null when there are no bookings.")
    async def repeat_booking_rate(self, info: Info[Context, None]) -> float | None:
        return value_of(Metric.REPEAT_BOOKING_RATE, bookings=await self._bookings(info))

    @strawberry.field(description="Null when there are no survey answers.")
    async def nps(self, info: Info[Context, None]) -> float | None:
        return (await surveys_total(info.context.loaders, self.tenant.id, self.days)).nps

    @strawberry.field(
        metadata=costs.KEY_METRICS,
        description="The same metrics over the equally long period that ends the day before `range` starts.",
    )
    def previous_period(self) -> KeyMetrics | None:
        if self.days.start.toordinal() <= self.days.days:
            return None
        return KeyMetrics(tenant=self.tenant, days=self.days.previous(), currency=self.currency)

    async def _bookings(self, info: Info[Context, None]) -> BookingSums:
        return await bookings_total(info.context.loaders, self.tenant.id, self.days, self.currency)
