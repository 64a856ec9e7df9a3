"""The root schema: types, scalars and the extensions every operation runs through."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from auth.guard import RequestGuard
from auth.query_limits import CachedValidation, QueryLimits, limit_extensions
from schema import enums  # noqa: F401 - registers the enums under their contract names
from schema.masking import process, schema_names
from schema.mutation import Mutation
from schema.operation import OperationChoice
from schema.query import Query
from schema.scalars import ExactDecimal, OffsetDateTime, StrictDate
from schema.settling import SettleLoads


class GatewaySchema(strawberry.Schema):
    def __init__(self, *args: Any, hide_names: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # with introspection off, no message may name what the caller did not send
        self.hidden = schema_names(self._schema) if hide_names else None

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Client errors are answers, not faults: they are coded, not logged. Unexpected ones
        # are masked and logged once with the error id the client sees.
        context = getattr(execution_context, "context", None)
        sent = ""
        if execution_context is not None:
            sent = (execution_context.query or "") + json.dumps(execution_context.variables or {}, default=str)
        process(errors, context, self.hidden, sent)


def build_schema(limits: QueryLimits | None = QueryLimits()) -> GatewaySchema:
    """`limits=None` only for trusted callers (the oracle tests' huge aliased documents)."""
    return GatewaySchema(
        hide_names=limits is not None and not limits.introspection,
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(
            scalar_map={date: StrictDate, datetime: OffsetDateTime, Decimal: ExactDecimal},
            # "did you mean" would leak the schema that disabled introspection hides
            disable_field_suggestions=limits is not None and not limits.introspection,
        ),
        extensions=[
            SettleLoads,
            OperationChoice,
            *(limit_extensions(limits) if limits is not None else []),
            RequestGuard,
            # bounded: an attacker sending endless distinct documents must not grow memory
            lambda: ParserCache(maxsize=512),
            lambda: CachedValidation(maxsize=512),
        ],
    )


schema = build_schema()
