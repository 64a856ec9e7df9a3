"""The root schema: types, scalars and the extensions every operation runs through."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from auth.guard import RequestGuard
from auth.query_limits import CachedValidation, QueryLimits, limit_extensions
from gateway.masking import ErrorMasking, code_request_errors
from gateway.settling import SettleLoads
from schema import enums  # noqa: F401 - registers the enums under their contract names
from schema.query import Query
from schema.scalars import ExactDecimal, OffsetDateTime, StrictDate


class GatewaySchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Client errors are answers, not faults: they are coded, not logged. Unexpected ones
        # are logged by ErrorMasking together with the error id the client sees.
        code_request_errors(errors)


def build_schema(limits: QueryLimits | None = QueryLimits()) -> GatewaySchema:
    """`limits=None` only for trusted callers (the oracle tests' huge aliased documents)."""
    return GatewaySchema(
        query=Query,
        config=StrawberryConfig(
            scalar_map={date: StrictDate, datetime: OffsetDateTime, Decimal: ExactDecimal},
            # "did you mean" would leak the schema that disabled introspection hides
            disable_field_suggestions=limits is not None and not limits.introspection,
        ),
        extensions=[
            SettleLoads,
            ErrorMasking,
            *(limit_extensions(limits) if limits is not None else []),
            RequestGuard,
            # bounded: an attacker sending endless distinct documents must not grow memory
            lambda: ParserCache(maxsize=512),
            lambda: CachedValidation(maxsize=512),
        ],
    )


schema = build_schema()
