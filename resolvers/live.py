"""Subscriptions' field logic: opening one (slot and inbox), its range, booking amounts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from auth.limits import principal_key
from gateway.errors import BadUserInput, RateLimited, ServiceUnavailable
from live.events import BookingChange
from live.inbox import Inbox
from loaders.keys import DayRange
from resolvers.money import FxTable, round_cents


def utc_today() -> date:
    return datetime.now(UTC).date()


def including_today(days: DayRange, argument: str = "range") -> DayRange:
    today = utc_today()
    if not days.start <= today <= days.end:
        raise BadUserInput(f"{argument} must include today ({today.isoformat()}, UTC) to be live", argument)
    return days


@asynccontextmanager
async def open_inbox(context: Any, tenant_id: str, coalesce: bool) -> AsyncIterator[Inbox]:
    """The tenant's events from now on, within the principal's concurrent-subscription limit."""
    live = context.live
    if live is None:
        raise ServiceUnavailable("subscriptions are served over WebSocket on /graphql")
    principal = context.principal
    limit = context.tiers[principal.tier].max_subscriptions
    lease = await live.slots.acquire(principal_key(principal), limit)
    if lease is None:
        raise RateLimited(
            f"this credential already holds {limit} subscriptions, the most the {principal.tier.value} tier "
            "allows at once; end one first",
            maxSubscriptions=limit,
        )
    inbox = live.broker.subscribe(tenant_id, coalesce)
    try:
        yield inbox
    finally:
        inbox.close()
        await live.slots.release(lease)


def amount_in(change: BookingChange, target: str, fx: FxTable) -> Decimal:
    """The booking's amount in `target`, at its booking day's rate (as revenue converts it)."""
    if change.currency == target:
        return change.amount
    day = change.booked_at.astimezone(UTC).date()
    # ingestion refuses currencies without a rate, so MissingRate here is a data fault (masked)
    return round_cents(Fraction(change.amount) * fx.usd_per_unit(change.currency, day) / fx.usd_per_unit(target, day))
