"""Subscriptions' field logic: a live range, booking amounts in the tenant's currency."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

from core.calendar import DayRange
from core.errors import BadUserInput
from live.events import BookingChange
from resolvers.money import FxTable, round_cents


def utc_today() -> date:
    return datetime.now(UTC).date()


def including_today(days: DayRange, argument: str = "range") -> DayRange:
    today = utc_today()
    if not days.start <= today <= days.end:
        raise BadUserInput(f"{argument} must include today ({today.isoformat()}, UTC) to be live", argument)
    return days


def amount_in(change: BookingChange, target: str, fx: FxTable) -> Decimal:
    """The booking's amount in `target`, at its booking day's rate (as revenue converts it)."""
    if change.currency == target:
        return change.amount
    day = change.booked_at.astimezone(UTC).date()
    # ingestion refuses currencies without a rate, so MissingRate here is a data fault (masked)
    return round_cents(Fraction(change.amount) * fx.usd_per_unit(change.currency, day) / fx.usd_per_unit(target, day))
