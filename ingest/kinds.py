"""The four kinds of writes and the field names their items carry (GraphQL input names)."""

from __future__ import annotations

from enum import Enum


class Kind(str, Enum):
    PAGEVIEWS = "pageviews"
    BOOKINGS = "bookings"
    SURVEYS = "surveys"
    FX = "fx"

    @property
    def fields(self) -> tuple[str, ...]:
        return FIELDS[self]

    @property
    def required(self) -> frozenset[str]:
        return REQUIRED[self]

    @property
    def per_tenant(self) -> bool:
        return self is not Kind.FX


FIELDS = {
    Kind.PAGEVIEWS: ("eventId", "ts", "visitorId", "sessionId", "step", "channel", "device", "country", "loggedIn"),
    Kind.BOOKINGS: ("bookingRef", "bookedAt", "customerId", "visitorId", "checkIn", "nights", "rooms", "amount",
                    "currency", "status", "channel"),
    Kind.SURVEYS: ("responseId", "ts", "score", "bookingRef"),
    Kind.FX: ("currency", "day", "usdPerUnit"),
}
OPTIONAL = {
    Kind.PAGEVIEWS: {"step", "country"},
    Kind.BOOKINGS: {"visitorId"},
    Kind.SURVEYS: {"bookingRef"},
    Kind.FX: set(),
}
REQUIRED = {kind: frozenset(FIELDS[kind]) - OPTIONAL[kind] for kind in Kind}
