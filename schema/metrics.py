"""KeyMetrics, Money and the row types of series, breakdowns and the funnel."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import strawberry
from strawberry import Private
from strawberry.types import Info

from core.calendar import DayRange
from core.vocabulary import FunnelStep, Metric
from loaders.facts import TenantRow
from resolvers.breakdown import Row
from resolvers.funnel import Step
from resolvers.key_metrics import KeySums, key_sums
from resolvers.measures import value_of
from resolvers.series import Point
from schema import (
    costs,
    enums,  # noqa: F401 - registers FunnelStep
)
from schema.context import Context
from schema.selection import selections

T = TypeVar("T")


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
    """Built with the sums its selected fields need (`ready`, resolvers/key_metrics.py), which
    every field reads without an await; without them (subscriptions' renderings) each field
    loads what it alone needs. Loaders share the loads between fields and tenants."""

    tenant: Private[TenantRow]
    days: Private[DayRange]
    currency: Private[str]
    ready: Private[KeySums | None] = None
    previous: Private[KeySums | None] = None  # the previous period's, when loaded beside

    @strawberry.field(description="Distinct visitors with a pageview in the range.")
    def unique_visitors(self, info: Info[Context, None]) -> int:
        return self._value(info, "uniqueVisitors", lambda sums: sums.get("traffic").visitors)

    @strawberry.field(description="Distinct sessions with a pageview in the range.")
    def sessions(self, info: Info[Context, None]) -> int:
        return self._value(info, "sessions", lambda sums: sums.get("traffic").sessions)

    @strawberry.field(description="Pageviews in the range.")
    def pageviews(self, info: Info[Context, None]) -> int:
        return self._value(info, "pageviews", lambda sums: sums.get("traffic").pageviews)

    @strawberry.field(description="Confirmed bookings made in the range.")
    def bookings(self, info: Info[Context, None]) -> int:
        return self._value(info, "bookings", lambda sums: sums.get("bookings").confirmed)

    @strawberry.field(description="Bookings made in the range that are cancelled.")
    def cancellations(self, info: Info[Context, None]) -> int:
        return self._value(info, "cancellations", lambda sums: sums.get("bookings").cancelled)

    @strawberry.field(description="Nights times rooms of the confirmed bookings.")
    def room_nights(self, info: Info[Context, None]) -> int:
        return self._value(info, "roomNights", lambda sums: sums.get("bookings").room_nights)

    @strawberry.field(description="Confirmed bookings' value, converted at each booking day's rate.")
    def revenue(self, info: Info[Context, None]) -> Money:
        return self._value(info, "revenue", lambda sums: Money(amount=sums.get("bookings").revenue, currency=self.currency))

    @strawberry.field(description="Null when there are no bookings.")
    def average_booking_value(self, info: Info[Context, None]) -> Money | None:
        return self._value(info, "averageBookingValue", self._average)

    @strawberry.field(description="Null when there are no visitors.")
    def conversion_rate(self, info: Info[Context, None]) -> float | None:
        return self._value(info, "conversionRate", lambda sums: value_of(
            Metric.CONVERSION_RATE, sums.get("traffic"), sums.get("bookings")))

    @strawberry.field(description="Null when there are neither bookings nor cancellations.")
    def cancellation_rate(self, info: Info[Context, None]) -> float | None:
        return self._value(info, "cancellationRate", lambda sums: value_of(
            Metric.CANCELLATION_RATE, bookings=sums.get("bookings")))

    @strawberry.field(description="Null when there are no bookings.")
    def repeat_booking_rate(self, info: Info[Context, None]) -> float | None:
        return self._value(info, "repeatBookingRate", lambda sums: value_of(
            Metric.REPEAT_BOOKING_RATE, bookings=sums.get("bookings")))

    @strawberry.field(description="Null when there are no survey answers.")
    def nps(self, info: Info[Context, None]) -> float | None:
        return self._value(info, "nps", lambda sums: sums.get("surveys").nps)

    @strawberry.field(
        metadata=costs.KEY_METRICS,
        description="The same metrics over the equally long period that ends the day before `range` starts.",
    )
    def previous_period(self, info: Info[Context, None]) -> KeyMetrics | None:
        days = _previous(self.days)
        if days is None:
            return None
        if self.previous is not None:  # loaded beside this period's sums
            return KeyMetrics(tenant=self.tenant, days=days, currency=self.currency, ready=self.previous)
        return key_metrics(info, self.tenant, days, self.currency)  # type: ignore[return-value]

    def _average(self, sums: KeySums) -> Money | None:
        amount = sums.get("bookings").average_value
        return None if amount is None else Money(amount=amount, currency=self.currency)

    def _value(self, info: Info[Context, None], name: str, read: Callable[[KeySums], T]) -> Any:
        """The value now, from `ready`; else an awaitable of it (graphql-core awaits either)."""
        if self.ready is not None:
            return read(self.ready)
        return self._later(info, name, read)

    async def _later(self, info: Info[Context, None], name: str, read: Callable[[KeySums], T]) -> T:
        return read(await key_sums(info.context.loaders, self.tenant.id, self.days, self.currency, (name,)))


async def key_metrics(info: Info[Context, None], tenant: TenantRow, days: DayRange, currency: str) -> KeyMetrics:
    """KeyMetrics with the sums of the fields this selection asks for, and those of its
    previousPeriod's fields beside them (at once: one waited on the other)."""
    raw, loaders = info._raw_info, info.context.loaders
    selected = selections(raw.field_nodes, raw.fragments)
    jobs = [key_sums(loaders, tenant.id, days, currency, selected)]
    before = _previous(days) if "previousPeriod" in selected else None
    if before is not None:
        jobs.append(key_sums(loaders, tenant.id, before, currency, selections(selected["previousPeriod"], raw.fragments)))
    ready, *previous = await asyncio.gather(*jobs)
    return KeyMetrics(tenant=tenant, days=days, currency=currency, ready=ready, previous=previous[0] if previous else None)


def _previous(days: DayRange) -> DayRange | None:
    """The equally long period before, None when it would start before the calendar."""
    return None if days.start.toordinal() <= days.days else days.previous()
