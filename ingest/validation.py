"""Turning one client item into one warehouse row, or saying which field is wrong and why.

The same rules for the mutations (values already typed by GraphQL), NDJSON bodies (JSON
values, numbers parsed as Decimal) and CSV (strings; an empty cell is null). Timestamps must
carry an offset; they are stored as naive UTC to the second (MariaDB's DATETIME keeps no
fraction, and a replay must compare equal on both backends).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from core.vocabulary import FUNNEL_STEPS
from ingest.kinds import Kind
from ingest.result import ItemError

CHANNELS = frozenset(("organic_search", "paid_search", "social", "email", "referral", "direct", "display", "affiliate"))
DEVICES = frozenset(("desktop", "mobile", "tablet"))
STEPS = frozenset(FUNNEL_STEPS)
STATUSES = frozenset(("confirmed", "cancelled"))
MAX_ID = 64
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CODE2 = re.compile(r"[A-Za-z]{2}")
CODE3 = re.compile(r"[A-Z]{3}")
TRUE = {"true": True, "1": True, "false": False, "0": False}
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1e12")  # DECIMAL(14,2)
MAX_RATE = Decimal("1e10")  # DECIMAL(18,8)


class Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Checks:
    """What a batch is validated against, loaded once per batch."""

    tenant_id: str | None
    currencies: frozenset[str]
    latest: datetime  # now + the allowed clock skew, naive UTC

    @classmethod
    def at(cls, tenant_id: str | None, currencies: set[str], skew: timedelta, now: datetime | None = None) -> Checks:
        moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
        return cls(tenant_id, frozenset(currencies), moment + skew)


Validator = Callable[[Mapping[str, Any], Checks], dict[str, Any]]
FIELD_SETS = {kind: frozenset(kind.fields) for kind in Kind}


def validate(kind: Kind, item: Mapping[str, Any], checks: Checks, index: int) -> dict[str, Any] | ItemError:
    """The row for `item`, or the first error found in it."""
    try:
        if not item.keys() <= FIELD_SETS[kind]:
            unknown = sorted(item.keys() - FIELD_SETS[kind])[0]
            raise Invalid(unknown, f"unknown field {unknown!r}; expected {', '.join(kind.fields)}")
        return VALIDATORS[kind](item, checks)
    except Invalid as error:
        return ItemError(index, error.field, error.message)


def _pageview(item: Mapping[str, Any], checks: Checks) -> dict[str, Any]:
    return {
        "tenant_id": checks.tenant_id,
        "event_id": _id(item, "eventId"),
        "ts": _moment(item, "ts", checks),
        "visitor_id": _id(item, "visitorId"),
        "session_id": _id(item, "sessionId"),
        "step": _word(item, "step", STEPS | {"other"}, default="other"),
        "channel": _word(item, "channel", CHANNELS),
        "device": _word(item, "device", DEVICES),
        "country": _country(item),
        "logged_in": _bool(item, "loggedIn"),
    }


def _booking(item: Mapping[str, Any], checks: Checks) -> dict[str, Any]:
    currency = _currency(item, "currency")
    if currency not in checks.currencies:
        raise Invalid("currency", f"no exchange rate is stored for currency {currency!r}")
    return {
        "tenant_id": checks.tenant_id,
        "booking_ref": _id(item, "bookingRef"),
        "booked_at": _moment(item, "bookedAt", checks),
        "customer_id": _id(item, "customerId"),
        "visitor_id": _id(item, "visitorId", required=False),
        "check_in": _date(item, "checkIn"),
        "nights": _positive(item, "nights"),
        "rooms": _positive(item, "rooms"),
        "amount": _decimal(item, "amount", places=2, limit=MAX_AMOUNT, zero=True),
        "currency": currency,
        "status": _word(item, "status", STATUSES),
        "channel": _word(item, "channel", CHANNELS),
    }


def _survey(item: Mapping[str, Any], checks: Checks) -> dict[str, Any]:
    score = _int(item, "score")
    if not 0 <= score <= 10:
        raise Invalid("score", f"score must be 0..10, not {score}")
    return {
        "tenant_id": checks.tenant_id,
        "response_id": _id(item, "responseId"),
        "ts": _moment(item, "ts", checks),
        "score": score,
        "booking_ref": _id(item, "bookingRef", required=False),
    }


def _fx(item: Mapping[str, Any], checks: Checks) -> dict[str, Any]:
    currency = _currency(item, "currency")
    day = _date(item, "day")
    if day > checks.latest.date():
        raise Invalid("day", f"{day.isoformat()} is in the future")
    rate = _decimal(item, "usdPerUnit", places=8, limit=MAX_RATE, zero=False)
    if currency == "USD" and rate != 1:
        raise Invalid("usdPerUnit", "USD is always 1 US dollar")
    return {"currency": currency, "day": day, "usd_per_unit": rate}


VALIDATORS: dict[Kind, Validator] = {
    Kind.PAGEVIEWS: _pageview,
    Kind.BOOKINGS: _booking,
    Kind.SURVEYS: _survey,
    Kind.FX: _fx,
}


# ---- fields


def _value(item: Mapping[str, Any], name: str, required: bool = True) -> Any:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise Invalid(name, f"{name} is required")
        return None
    return value


def _id(item: Mapping[str, Any], name: str, required: bool = True) -> str | None:
    value = _value(item, name, required)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(name, f"{name} must be a string")
    if len(value) > MAX_ID:
        raise Invalid(name, f"{name} is longer than {MAX_ID} characters")
    if value != value.strip():
        raise Invalid(name, f"{name} must not start or end with white space")
    return value


def _moment(item: Mapping[str, Any], name: str, checks: Checks) -> datetime:
    value = _value(item, name)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(name, f"{value!r} is not an ISO 8601 date-time") from None
    if not isinstance(value, datetime):
        raise Invalid(name, f"{name} must be an ISO 8601 date-time")
    if value.tzinfo is None:
        raise Invalid(name, f"{name} needs a UTC offset, e.g. 2025-03-31T14:05:00Z")
    moment = value.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    if moment > checks.latest:
        raise Invalid(name, f"{name} {value.isoformat()} is in the future")
    return moment


def _date(item: Mapping[str, Any], name: str) -> date:
    value = _value(item, name)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise Invalid(name, f"{name} must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(name, f"{value!r} is not a calendar date") from None


def _int(item: Mapping[str, Any], name: str) -> int:
    value = _value(item, name)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    elif isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(name, f"{name} must be an integer")
    return value


def _positive(item: Mapping[str, Any], name: str) -> int:
    value = _int(item, name)
    if not 0 < value < 100_000:
        raise Invalid(name, f"{name} must be greater than 0 (and below 100000), not {value}")
    return value


def _decimal(item: Mapping[str, Any], name: str, *, places: int, limit: Decimal, zero: bool) -> Decimal:
    value = _value(item, name)
    if isinstance(value, bool) or isinstance(value, float):
        raise Invalid(name, f"{name} must be an exact decimal (a string or a JSON number)")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value) if isinstance(value, int) else value)
    except (InvalidOperation, TypeError):
        raise Invalid(name, f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise Invalid(name, f"{name} must be a finite number")
    if number < 0 or (number == 0 and not zero):
        raise Invalid(name, f"{name} must be {'at least 0' if zero else 'greater than 0'}, not {number}")
    if number >= limit:
        raise Invalid(name, f"{name} must be below {limit:f}")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise Invalid(name, f"{name} has more than {places} decimal places")
    return number


def _bool(item: Mapping[str, Any], name: str) -> bool:
    value = _value(item, name)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in TRUE:
        return TRUE[value.lower()]
    raise Invalid(name, f"{name} must be true or false")


def _word(item: Mapping[str, Any], name: str, vocabulary: frozenset[str], default: str | None = None) -> str:
    value = _value(item, name, required=default is None)
    if value is None:
        return default  # type: ignore[return-value]
    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, str) or value.lower() not in vocabulary:
        raise Invalid(name, f"unknown {name} {value!r}; expected one of {', '.join(sorted(vocabulary))}")
    return value.lower()


def _country(item: Mapping[str, Any]) -> str | None:
    value = _value(item, "country", required=False)
    if value is None:
        return None
    if not isinstance(value, str) or not CODE2.fullmatch(value):
        raise Invalid("country", "country must be a 2-letter ISO 3166-1 code")
    return value.upper()


def _currency(item: Mapping[str, Any], name: str) -> str:
    value = _value(item, name)
    if not isinstance(value, str) or not CODE3.fullmatch(value.upper()):
        raise Invalid(name, f"{name} must be a 3-letter ISO 4217 code")
    return value.upper()
