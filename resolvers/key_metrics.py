"""The sums a tenant's key metrics over a range are computed from, loaded once for the fields
a request selects: each metric field then reads them without an await of its own (a portfolio
of 50 tenants awaited ~500 such fields, each wrapped by graphql-core and Strawberry)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.calendar import DayRange
from loaders.dataloaders import Loaders
from loaders.facts import EMPTY_TRAFFIC, Traffic, TrafficMeasure
from resolvers.measures import BookingSums, SurveySums
from resolvers.sources import bookings_total, surveys_total, traffic_total

V, S, P = TrafficMeasure.VISITORS, TrafficMeasure.SESSIONS, TrafficMeasure.PAGEVIEWS
BOOKINGS = frozenset({"bookings", "cancellations", "roomNights", "revenue", "averageBookingValue",
                      "conversionRate", "cancellationRate", "repeatBookingRate"})
# KeyMetrics' fields (GraphQL names) -> the traffic measures they read
TRAFFIC = {"uniqueVisitors": V, "sessions": S, "pageviews": P, "conversionRate": V}
SURVEYS = frozenset({"nps"})


@dataclass(frozen=True)
class KeySums:
    """Each source's sums, or the error loading it raised (raised again by the fields that read it)."""

    traffic: Traffic | BaseException = EMPTY_TRAFFIC
    bookings: BookingSums | BaseException = BookingSums()
    surveys: SurveySums | BaseException = SurveySums()

    def get(self, source: str) -> Any:
        value = getattr(self, source)
        if isinstance(value, BaseException):
            raise value
        return value


async def key_sums(loaders: Loaders, tenant_id: str, days: DayRange, currency: str, fields: Iterable[str]) -> KeySums:
    """The loads the named fields need, at once; a failed one is kept as its error."""
    names = set(fields)
    jobs: dict[str, Any] = {}
    measures = {TRAFFIC[name] for name in names if name in TRAFFIC}
    if measures:
        jobs["traffic"] = traffic_total(loaders, tenant_id, days, *sorted(measures, key=lambda m: m.value))
    if names & BOOKINGS:
        jobs["bookings"] = bookings_total(loaders, tenant_id, days, currency)
    if names & SURVEYS:
        jobs["surveys"] = surveys_total(loaders, tenant_id, days)
    found = await asyncio.gather(*jobs.values(), return_exceptions=True)
    return KeySums(**dict(zip(jobs, found, strict=True)))
