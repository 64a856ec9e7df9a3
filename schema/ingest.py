"""Ingestion's mutations: small batches of pageviews, bookings, survey answers and fx rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from auth.permissions import CanIngest, IsAdmin, IsAuthenticated
from auth.scope import writable_tenant_id
from core.errors import BadUserInput, ServiceUnavailable
from ingest.kinds import Kind
from ingest.queue import QueueFull
from ingest.result import Outcome
from ingest.service import UnknownTenant
from schema.enums import FunnelStepEnum


ITEMS = strawberry.argument(description="The items of this batch, at most INGEST_MAX_BATCH; errors name their 0-based index.")


@strawberry.enum(description="A booking's state: a cancellation is a change of status of a stored booking.")
class BookingStatus(Enum):
    CONFIRMED = strawberry.enum_value("confirmed", description="The booking stands; it counts in bookings and revenue.")
    CANCELLED = strawberry.enum_value("cancelled", description="The booking was cancelled; it counts in cancellations.")


@strawberry.input(description="One pageview; `eventId` makes a replay a duplicate.")
class PageviewInput:
    event_id: strawberry.ID = strawberry.field(
        description="The client's id of this event; a replay with the same id is a duplicate.")
    ts: datetime = strawberry.field(description="When it happened, with an offset; stored as UTC to the second.")
    visitor_id: str = strawberry.field(description="Stable browser/user id (at most 64 characters).")
    session_id: str = strawberry.field(description="One visit (at most 64 characters).")
    step: FunnelStepEnum | None = strawberry.field(
        default=None, description="The funnel step this page belongs to; null for any other page (stored as `other`).")
    channel: str = strawberry.field(
        description="organic_search, paid_search, social, email, referral, direct, display or affiliate.")
    device: str = strawberry.field(description="desktop, mobile or tablet.")
    country: str | None = strawberry.field(default=None, description="Visitor country, ISO 3166-1 alpha-2.")
    logged_in: bool = strawberry.field(description="The visitor was logged in on this view.")


@strawberry.input(description="A booking, new or changed; `bookingRef` identifies it.")
class BookingInput:
    booking_ref: strawberry.ID = strawberry.field(description="The booking's reference, unique per tenant.")
    booked_at: datetime = strawberry.field(description="When the booking was made, with an offset.")
    customer_id: str = strawberry.field(description="The guest; repeat bookings are found through it.")
    visitor_id: str | None = strawberry.field(default=None, description="The web visitor who booked, if known.")
    check_in: date = strawberry.field(description="Arrival day.")
    nights: int = strawberry.field(description="Greater than 0.")
    rooms: int = strawberry.field(description="Units booked (rooms, tables, packages); greater than 0.")
    amount: Decimal = strawberry.field(description="At least 0, at most 2 decimal places, in `currency`.")
    currency: str = strawberry.field(description="ISO 4217; must have an fx rate.")
    status: BookingStatus = strawberry.field(description="CONFIRMED or CANCELLED.")
    channel: str = strawberry.field(description="Same vocabulary as a pageview's channel.")


@strawberry.input(description="One answer to the would-you-recommend question.")
class SurveyResponseInput:
    response_id: strawberry.ID = strawberry.field(description="The client's id of this answer.")
    ts: datetime = strawberry.field(description="When it was answered, with an offset.")
    score: int = strawberry.field(description="0..10.")
    booking_ref: strawberry.ID | None = strawberry.field(default=None, description="The stay it is about, if known.")


@strawberry.input(description="US dollars for one unit of a currency on a day.")
class FxRateInput:
    currency: str = strawberry.field(description="ISO 4217 code.")
    day: date = strawberry.field(description="The day the rate is for.")
    usd_per_unit: Decimal = strawberry.field(description="Greater than 0, at most 8 decimal places; USD is always 1.")


@strawberry.type(description="One refused item.")
class IngestError:
    index: int = strawberry.field(description=(
        "Mutations: the item's 0-based position in `items`. Bulk bodies and CSV files: the 1-based line number."))
    field: str | None = strawberry.field(description="The input field at fault, when one is.")
    message: str = strawberry.field(description="What is wrong.")


@strawberry.type(description="What a write did.")
class IngestResult:
    inserted: int = strawberry.field(description="Items stored by this call.")
    updated: int = strawberry.field(description="Stored items changed by this call (a booking's status, an fx rate).")
    duplicates: int = strawberry.field(description="Items already stored exactly so; nothing changed.")
    errors: list[IngestError] = strawberry.field(
        description="Refused items. Without `partial`, any error means nothing was written.")

    @classmethod
    def of(cls, outcome: Outcome) -> IngestResult:
        errors = [IngestError(index=e.index, field=e.field, message=e.message) for e in outcome.errors]
        return cls(inserted=outcome.inserted, updated=outcome.updated, duplicates=outcome.duplicates, errors=errors)


WRITERS = [IsAuthenticated, CanIngest]
ADMINS = [IsAuthenticated, IsAdmin]
PARTIAL = "`true` stores exactly the valid items; by default any invalid item means nothing is written."
TENANT = "The tenant written; defaults to the caller's only tenant."


async def _record(info: Info, kind: Kind, tenant_id: str | None, items: list[Any], partial: bool) -> IngestResult:
    context = info.context
    policy = context.ingest.policy
    if len(items) > policy.max_batch:
        raise BadUserInput(f"at most {policy.max_batch} items per call; use POST /ingest/{kind.value} for more",
                           "items")
    target = writable_tenant_id(context.principal, tenant_id) if kind.per_tenant else None
    raw = [_as_item(kind, item) for item in items]
    try:
        async with context.ingest.queue.admit():
            await context.charge_writes(len(raw))
            outcome = await context.ingest.record(kind, target, raw, partial)
    except QueueFull as error:
        raise ServiceUnavailable(error.reason, retryAfter=error.retry_after) from None
    except UnknownTenant as error:
        raise BadUserInput(str(error), "tenantId") from None
    return IngestResult.of(outcome)


def _as_item(kind: Kind, item: Any) -> dict[str, Any]:
    """The input object as a dict with the GraphQL field names, as bulk bodies carry them."""
    return {name: getattr(item, SNAKE[name]) for name in kind.fields}


SNAKE = {name: "".join("_" + c.lower() if c.isupper() else c for c in name)
         for kind in Kind for name in kind.fields}


TenantArg = Annotated[strawberry.ID | None, strawberry.argument(description=TENANT)]
PartialArg = Annotated[bool, strawberry.argument(description=PARTIAL)]


@strawberry.type
class IngestMutations:
    """Part of the root Mutation: `ingest` scope for the tenant written (fx rates: `admin`); a call
    takes at most INGEST_MAX_BATCH items; all-or-nothing unless `partial: true`."""

    @strawberry.mutation(permission_classes=WRITERS, description="Pageviews; a replayed `eventId` is a duplicate.")
    async def record_pageviews(
        self, info: Info, tenant_id: TenantArg = None, *, items: Annotated[list[PageviewInput], ITEMS], partial: PartialArg = False,
    ) -> IngestResult:
        return await _record(info, Kind.PAGEVIEWS, tenant_id, items, partial)

    @strawberry.mutation(permission_classes=WRITERS, description=(
        "New bookings and status changes (a known `bookingRef` with another status is updated)."))
    async def record_bookings(
        self, info: Info, tenant_id: TenantArg = None, *, items: Annotated[list[BookingInput], ITEMS], partial: PartialArg = False,
    ) -> IngestResult:
        return await _record(info, Kind.BOOKINGS, tenant_id, items, partial)

    @strawberry.mutation(permission_classes=WRITERS, description="Survey answers; a replayed `responseId` is a duplicate.")
    async def record_survey_responses(
        self, info: Info, tenant_id: TenantArg = None, *, items: Annotated[list[SurveyResponseInput], ITEMS], partial: PartialArg = False,
    ) -> IngestResult:
        return await _record(info, Kind.SURVEYS, tenant_id, items, partial)

    @strawberry.mutation(permission_classes=ADMINS, description=(
        "Exchange rates (`admin` scope); a known currency and day with another rate is updated."))
    async def record_fx_rates(self, info: Info, items: Annotated[list[FxRateInput], ITEMS], partial: PartialArg = False) -> IngestResult:
        return await _record(info, Kind.FX, None, items, partial)
