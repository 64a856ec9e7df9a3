"""KeyMetrics, Money and the row types of series, breakdowns and the funnel."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry import Private
from strawberry.types import Info

from core.calendar import DayRange
from core.vocabulary import FunnelStep, Metric
from loaders.facts import TenantRow, TrafficMeasure
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


@strawberry.type(description="An exact amount of money and its currency.")
class Money:
    amount: Decimal = strawberry.field(description="The amount, rounded half-even to cents.")
    currency: str = strawberry.field(description="ISO 4217 code of the amount's currency.")


CURRENCY = (
    "ISO 4217 code of the currency `value` is in, for money metrics (REVENUE, AVERAGE_BOOKING_VALUE): "
    "the requested `currency`, else the tenant's. Null for counts, ratios and scores."
)


@strawberry.type(description="One period of a series.")
class SeriesPoint:
    start: date = strawberry.field(description="First day of the period inside the requested range.")
    value: float | None = strawberry.field(description="Null where a ratio metric has no denominator in that period.")
    currency: str | None = strawberry.field(description=CURRENCY)

    @classmethod
    def of(cls, point: Point, currency: str | None) -> SeriesPoint:
        return cls(start=point.start, value=point.value, currency=currency)


@strawberry.type(description="The metric for one value of the dimension.")
class BreakdownRow:
    key: str = strawberry.field(description="The dimension's value, e.g. a channel, `mobile`, a country code or `logged_in`.")
    value: float | None = strawberry.field(description="The metric over the rows with this key; null for a ratio without denominator.")
    share: float | None = strawberry.field(description="value / sum of all rows' values (rows of a breakdown sum to 1).")
    currency: str | None = strawberry.field(description=CURRENCY)

    @classmethod
    def of(cls, row: Row, currency: str | None) -> BreakdownRow:
        return cls(key=row.key, value=row.value, share=row.share, currency=currency)


@strawberry.type(description="One step of the booking funnel.")
class FunnelStepRow:
    step: FunnelStep = strawberry.field(description="The step.")
    sessions: int = strawberry.field(description="Distinct sessions in the range with at least one pageview of this step.")
    conversion_from_previous: float | None = strawberry.field(
        description="sessions / sessions of the previous step; null for the first step or a zero previous step."
    )

    @classmethod
    def of(cls, step: Step) -> FunnelStepRow:
        return cls(step=FunnelStep(step.step), sessions=step.sessions, conversion_from_previous=step.conversion_from_previous)


@strawberry.type(description="Every key metric of one tenant over one range (definitions: `metricDefinitions`).")
class KeyMetrics:
    """Each field loads only what it needs; loaders share the loads between fields and tenants."""

    tenant: Private[TenantRow]
    days: Private[DayRange]
    currency: Private[str]

    @strawberry.field(description="Distinct visitors with a pageview in the range.")
    async def unique_visitors(self, info: Info[Context, None]) -> int:
        return (await traffic_total(info.context.loaders, self.tenant.id, self.days, TrafficMeasure.VISITORS)).visitors

    @strawberry.field(description="Distinct sessions with a pageview in the range.")
    async def sessions(self, info: Info[Context, None]) -> int:
        return (await traffic_total(info.context.loaders, self.tenant.id, self.days, TrafficMeasure.SESSIONS)).sessions

    @strawberry.field(description="Pageviews in the range.")
    async def pageviews(self, info: Info[Context, None]) -> int:
        return (await traffic_total(info.context.loaders, self.tenant.id, self.days, TrafficMeasure.PAGEVIEWS)).pageviews

    @strawberry.field(description="Confirmed bookings made in the range.")
    async def bookings(self, info: Info[Context, None]) -> int:
        return (await self._bookings(info)).confirmed

    @strawberry.field(description="Bookings made in the range that are cancelled.")
    async def cancellations(self, info: Info[Context, None]) -> int:
        return (await self._bookings(info)).cancelled

    @strawberry.field(description="Nights times rooms of the confirmed bookings.")
    async def room_nights(self, info: Info[Context, None]) -> int:
        return (await self._bookings(info)).room_nights

    @strawberry.field(description="Confirmed bookings' value, converted at each booking day's rate.")
    async def revenue(self, info: Info[Context, None]) -> Money:
        return Money(amount=(await self._bookings(info)).revenue, currency=self.currency)

    @strawberry.field(description="Null when there are no bookings.")
    async def average_booking_value(self, info: Info[Context, None]) -> Money | None:
        amount = (await self._bookings(info)).average_value
        return None if amount is None else Money(amount=amount, currency=self.currency)

    @strawberry.field(description="Null when there are no visitors.")
    async def conversion_rate(self, info: Info[Context, None]) -> float | None:
        traffic = await traffic_total(info.context.loaders, self.tenant.id, self.days, TrafficMeasure.VISITORS)
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
