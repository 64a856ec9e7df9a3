"""Date is strictly YYYY-MM-DD (Python alone would also take 20250101 or 2025-W01-1)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import strawberry

from core.errors import BadUserInput, shown

# Raised as coded GraphQL errors, never ValueError: graphql-core reports a GraphQLError from a
# scalar as it is, for a literal in the document as for a variable, while any other exception
# from a literal would reach the client as an internal error.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: object) -> date:
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise BadUserInput(f"{shown(value)} is not a date: expected YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise BadUserInput(f"{shown(value)} is not a valid calendar date") from error


StrictDate = strawberry.scalar(
    name="Date",
    description="ISO 8601 calendar date, e.g. 2025-03-31. Days are UTC days.",
    serialize=date.isoformat,
    parse_value=parse_date,
)


def parse_decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise BadUserInput(f"{shown(value)} is not a decimal number") from error


ExactDecimal = strawberry.scalar(
    name="Decimal",
    description='Exact decimal serialised as a string, e.g. "1234.50" (as Shopify\'s MoneyV2 does).',
    serialize=str,
    parse_value=parse_decimal,
)


def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise BadUserInput(f"{shown(value)} is not a date-time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise BadUserInput(f"{shown(value)} is not an ISO 8601 date-time") from error
    if parsed.tzinfo is None:
        raise BadUserInput(f"{shown(value)} has no UTC offset")
    return parsed


OffsetDateTime = strawberry.scalar(
    name="DateTime",
    description="ISO 8601 date-time with offset.",
    serialize=datetime.isoformat,
    parse_value=parse_datetime,
)
