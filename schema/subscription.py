"""Subscription: liveMetrics, bookingEvents and alertFired over WebSocket (PROFESSIONAL and up)."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing, suppress
from datetime import UTC, datetime
from typing import TypeVar

import strawberry
from strawberry.types import Info

from auth.permissions import CanRead, TierGate
from auth.scope import own_tenant_id
from core.errors import BadUserInput, ServiceUnavailable
from live.coalesce import pushes
from live.events import AlertFiring, BookingChange, LiveEvent
from live.groups import Ended
from live.inbox import Item, Overflowed
from live.outlet import CURRENT
from loaders.facts import TenantRow
from resolvers.inputs import target_currency
from resolvers.live import amount_in, including_today
from resolvers.money import FxTable
from schema import costs
from schema.alerts import AlertEvent
from schema.context import Context
from schema.ingest import BookingStatus
from schema.live_render import Renderer
from schema.live_subscribe import open_inbox, open_member
from schema.metrics import KeyMetrics, Money
from schema.query import TenantIdArg
from schema.tenant import CurrencyArg, RangeArg, _days

GATED = [CanRead, TierGate]
T = TypeVar("T")
# a subscription converting foreign-currency bookings rereads the rates this often at most
RATES_MAX_AGE_SECONDS = 300.0


@strawberry.type(description="A booking stored or changed, as it was stored.")
class BookingEvent:
    tenant_id: strawberry.ID = strawberry.field(description="The tenant whose booking this is.")
    booking_ref: strawberry.ID = strawberry.field(description="The client's booking reference.")
    booked_at: datetime = strawberry.field(description="When the booking was made (UTC).")
    status: BookingStatus = strawberry.field(description="The booking's status as stored now.")
    amount: Money = strawberry.field(description="In the tenant's currency, at the booking day's rate.")
    channel: str = strawberry.field(description="The booking's marketing channel.")


async def _tenant(info: Info[Context, None], tenant_id: str | None) -> TenantRow:
    wanted = own_tenant_id(info.context.principal, tenant_id)
    row = await info.context.loaders.tenants.load(wanted)
    if row is None:
        raise BadUserInput(f"tenant {wanted!r} does not exist", "tenantId")
    return row


class _Rates:
    """The fx table of one subscription, reread when old (rates arrive by ingestion too)."""

    def __init__(self, info: Info[Context, None]) -> None:
        self.info = info
        self.table: FxTable | None = None
        self.currencies: set[str] = set()
        self.loaded_at = 0.0

    async def get(self, currencies: set[str]) -> FxTable:
        stale = time.monotonic() - self.loaded_at > RATES_MAX_AGE_SECONDS
        if self.table is None or stale or not currencies <= self.currencies:
            self.currencies |= currencies
            self.info.context.refresh_loaders()
            self.table = FxTable(await self.info.context.loaders.fx.rates(self.currencies))
            self.loaded_at = time.monotonic()
        return self.table


async def _booking_event(change: BookingChange, tenant: TenantRow, rates: _Rates) -> BookingEvent:
    fx = None if change.currency == tenant.currency else await rates.get({change.currency, tenant.currency})
    amount = change.amount if fx is None else amount_in(change, tenant.currency, fx)
    return BookingEvent(
        tenant_id=strawberry.ID(tenant.id),
        booking_ref=strawberry.ID(change.booking_ref),
        booked_at=change.booked_at if change.booked_at.tzinfo else change.booked_at.replace(tzinfo=UTC),
        status=BookingStatus(change.status),
        amount=Money(amount=amount, currency=tenant.currency),
        channel=change.channel,
    )


def _alert_event(firing: AlertFiring) -> AlertEvent:
    return AlertEvent(rule_id=strawberry.ID(firing.rule_id), start=firing.start, value=firing.value,
                      fired_at=firing.fired_at.replace(tzinfo=UTC), delivery=firing.delivery)


def _overflowed(error: Overflowed) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"this subscriber fell more than {error.capacity} events behind and was ended; subscribe again",
        maxQueued=error.capacity,
    )


async def _each_event(
    info: Info[Context, None], field: str, tenant: TenantRow, convert: Callable[[LiveEvent], Awaitable[Sequence[T]]]
) -> AsyncGenerator[T, None]:
    """One result per booking or firing each event carries, from now on: on a WebSocket the
    renderings are shared by the group asking the same, elsewhere this subscriber executes."""
    outlet = CURRENT.get()
    if outlet is not None:
        renderer = Renderer(info, outlet)

        async def render(item: Item | None) -> list[str]:
            if not isinstance(item, LiveEvent):
                return []
            return [await renderer.render(result) for result in await convert(item)]

        async with open_member(info, outlet, field, tenant.id, render) as member:
            try:
                await member.run()
            except Ended:
                return
            except Overflowed as error:
                raise _overflowed(error) from error
        return
    async with open_inbox(info.context, tenant.id, coalesce=False) as inbox:
        try:
            async for item in inbox:
                if isinstance(item, LiveEvent):
                    for result in await convert(item):
                        yield result
        except Overflowed as error:
            raise _overflowed(error) from error


@strawberry.type(description="Live updates over WebSocket on /graphql (graphql-transport-ws or graphql-ws); PROFESSIONAL and up.")
class Subscription:
    @strawberry.subscription(
        permission_classes=GATED,
        metadata=costs.LIVE_METRICS,
        description="The key metrics of a range that includes today (UTC): sent at once, then again when new "
        "data for the tenant is stored, at most once per push interval (LIVE_PUSH_INTERVAL_SECONDS).",
    )
    async def live_metrics(
        self, info: Info[Context, None], *, tenant_id: TenantIdArg = None, range_: RangeArg, currency: CurrencyArg = None
    ) -> AsyncGenerator[KeyMetrics, None]:
        tenant = await _tenant(info, tenant_id)
        days = including_today(_days(info, range_))
        code = await target_currency(info.context.loaders, currency, tenant)
        outlet = CURRENT.get()
        if outlet is not None:
            renderer = Renderer(info, outlet)

            async def render(_: Item | None) -> list[str]:
                return [await renderer.render(KeyMetrics(tenant=tenant, days=days, currency=code))]

            # joined before the first snapshot: whatever is stored after it triggers a push
            async with open_member(info, outlet, "liveMetrics", tenant.id, render, info.context.live.push_interval) as member:
                info.context.refresh_loaders()
                yield KeyMetrics(tenant=tenant, days=days, currency=code)
                # the snapshot is out: the group's pushes go to this subscriber from now on
                with suppress(Ended):
                    await member.run()
            return
        # subscribed before the first snapshot: whatever is stored after it triggers a push
        async with open_inbox(info.context, tenant.id, coalesce=True) as inbox:
            info.context.refresh_loaders()
            yield KeyMetrics(tenant=tenant, days=days, currency=code)
            async for _ in pushes(inbox, info.context.live.push_interval):
                info.context.refresh_loaders()
                yield KeyMetrics(tenant=tenant, days=days, currency=code)

    @strawberry.subscription(
        permission_classes=GATED,
        metadata=costs.BOOKING_EVENTS,
        description="Each booking stored or changed from now on, for one tenant. A subscriber that falls more "
        "than LIVE_QUEUE_SIZE events behind gets an error and is ended.",
    )
    async def booking_events(
        self, info: Info[Context, None], tenant_id: TenantIdArg = None
    ) -> AsyncGenerator[BookingEvent, None]:
        tenant = await _tenant(info, tenant_id)
        rates = _Rates(info)

        async def events(item: LiveEvent) -> list[BookingEvent]:
            return [await _booking_event(change, tenant, rates) for change in item.bookings]

        async with aclosing(_each_event(info, "bookingEvents", tenant, events)) as stream:
            async for event in stream:
                yield event

    @strawberry.subscription(
        permission_classes=GATED,
        metadata=costs.ALERT_FIRED,
        description="Each firing of the tenant's alert rules from now on, on whichever replica evaluated it: the "
        "same event `alerts` lists (delivery as at the firing: PENDING or NONE). A subscriber that falls more than "
        "LIVE_QUEUE_SIZE events behind gets an error and is ended.",
    )
    async def alert_fired(
        self, info: Info[Context, None], tenant_id: TenantIdArg = None
    ) -> AsyncGenerator[AlertEvent, None]:
        tenant = await _tenant(info, tenant_id)

        async def events(item: LiveEvent) -> list[AlertEvent]:
            return [_alert_event(firing) for firing in item.alerts]

        async with aclosing(_each_event(info, "alertFired", tenant, events)) as stream:
            async for event in stream:
                yield event
