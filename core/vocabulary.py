"""The words every layer shares: the contract's enums, as plain Python enums.

`schema/enums.py` registers them with Strawberry under their contract names.
"""

from __future__ import annotations

from enum import Enum


class Metric(str, Enum):
    UNIQUE_VISITORS = "UNIQUE_VISITORS"
    SESSIONS = "SESSIONS"
    PAGEVIEWS = "PAGEVIEWS"
    BOOKINGS = "BOOKINGS"
    CANCELLATIONS = "CANCELLATIONS"
    ROOM_NIGHTS = "ROOM_NIGHTS"
    REVENUE = "REVENUE"
    AVERAGE_BOOKING_VALUE = "AVERAGE_BOOKING_VALUE"
    CONVERSION_RATE = "CONVERSION_RATE"
    CANCELLATION_RATE = "CANCELLATION_RATE"
    REPEAT_BOOKING_RATE = "REPEAT_BOOKING_RATE"
    NPS = "NPS"


class Granularity(str, Enum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


class Dimension(str, Enum):
    CHANNEL = "CHANNEL"
    DEVICE = "DEVICE"
    LOGIN_STATUS = "LOGIN_STATUS"
    COUNTRY = "COUNTRY"
    UTM_SOURCE = "UTM_SOURCE"
    UTM_MEDIUM = "UTM_MEDIUM"
    UTM_CAMPAIGN = "UTM_CAMPAIGN"


class AttributionModel(str, Enum):
    FIRST_TOUCH = "FIRST_TOUCH"
    LAST_TOUCH = "LAST_TOUCH"


class FunnelStep(str, Enum):
    """Values are the `pageviews.step` column's words, in funnel order."""

    LANDING = "landing"
    SEARCH = "search"
    ROOM_SELECT = "room_select"
    BOOKING_FORM = "booking_form"
    CONFIRMATION = "confirmation"


FUNNEL_STEPS = tuple(step.value for step in FunnelStep)


class Tier(str, Enum):
    FREE = "FREE"
    PROFESSIONAL = "PROFESSIONAL"
    ENTERPRISE = "ENTERPRISE"

    @classmethod
    def parse(cls, text: str) -> Tier:
        """Case-insensitive: `free`, `Free` and `FREE` name the same tier."""
        return cls(text.strip().upper())


TIER_ORDER = (Tier.FREE, Tier.PROFESSIONAL, Tier.ENTERPRISE)


class PrincipalKind(str, Enum):
    USER = "USER"
    API_KEY = "API_KEY"


class Scope(str, Enum):
    """What a credential may do (RFC 9068 `scope` words); `read` when none is stated."""

    READ = "read"
    INGEST = "ingest"
    ADMIN = "admin"


DEFAULT_SCOPES = frozenset({Scope.READ.value})
