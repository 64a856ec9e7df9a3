"""Checking arguments; each failure is a BAD_USER_INPUT naming the argument."""

from __future__ import annotations

import re
from datetime import date

from core.calendar import EARLIEST_DAY, LATEST_DAY, DayRange
from core.errors import BadUserInput, shown
from core.metrics import spec
from core.vocabulary import Dimension, Metric
from loaders.dataloaders import Loaders
from loaders.facts import TenantRow

CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def day_range(start: date, end: date, max_days: int, argument: str = "range", tier: str | None = None) -> DayRange:
    if start > end:
        raise BadUserInput(f"{argument}.from ({start}) must be on or before {argument}.to ({end})", argument)
    if start < EARLIEST_DAY or end > LATEST_DAY:
        raise BadUserInput(f"{argument} must lie between {EARLIEST_DAY} and {LATEST_DAY}", argument)
    days = DayRange(start, end)
    if days.days > max_days:
        allowed = f"the {tier} tier allows at most {max_days}" if tier else f"at most {max_days} are allowed"
        raise BadUserInput(f"{argument} spans {days.days} days; {allowed}", argument)
    return days


def check_dimension(metric: Metric, by: Dimension) -> None:
    if by not in spec(metric).dimensions:
        raise BadUserInput(f"metric {metric.value} cannot be broken down by {by.value}", "by")


async def target_currency(loaders: Loaders, requested: str | None, tenant: TenantRow) -> str:
    """The requested currency (else the tenant's), which must have exchange rates."""
    code = tenant.currency if requested is None else requested.strip().upper()
    if not CURRENCY_CODE.fullmatch(code):
        raise BadUserInput(f"currency {shown(requested)} is not an ISO 4217 code", "currency")
    # awaited for USD too: every tenant's resolver then reaches its loads in the same tick,
    # which keeps a portfolio's loads in one batch
    if not await loaders.fx.known_currency(code):
        if requested is None:
            raise BadUserInput(f"the tenant's currency {code} has no exchange rate; pass `currency`", "currency")
        raise BadUserInput(f"unknown currency {code}: it has no exchange rate", "currency")
    return code
