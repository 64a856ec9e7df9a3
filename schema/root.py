"""The root schema: types, scalars and the extensions every operation runs through."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.types import ExecutionContext
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from auth.guard import RequestGuard
from auth.query_limits import CachedValidation, QueryLimits, limit_extensions
from schema import enums  # noqa: F401 - registers the enums under their contract names
from schema.masking import process, schema_names
from schema.mutation import Mutation
from schema.operation import OperationChoice
from schema.operation import OperationType as OperationTypeLabel
from schema.query import Query
from schema.scalars import ExactDecimal, OffsetDateTime, StrictDate
from schema.settling import SettleLoads
from schema.subscription import Subscription


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

    async def execute(self, *args: Any, allowed_operation_types: Iterable[OperationType] | None = None, **kwargs: Any) -> Any:
        # a subscription has no single answer: over HTTP it is refused (400), it runs over WebSocket
        allowed = set(allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES) - {OperationType.SUBSCRIPTION}
        return await super().execute(*args, allowed_operation_types=allowed, **kwargs)

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        return refusals_as_errors(await super().stream(*args, **kwargs))


async def refusals_as_errors(results: AsyncGenerator[Any, None]) -> AsyncGenerator[Any, None]:
    """A stream whose first result is only errors (a refused subscription: tenant, cost, limit)
    is sent as the protocol's `error` message, like a validation error, not as `next` + `complete`."""
    try:
        first = await anext(results, None)
        if first is None:
            return
        if type(first) is ExecutionResult and first.data is None and first.errors:
            yield PreExecutionError(data=None, errors=first.errors, extensions=first.extensions)
            return
        yield first
        async for result in results:
            yield result
    finally:
        await results.aclose()


def build_schema(limits: QueryLimits | None = QueryLimits()) -> GatewaySchema:
    """`limits=None` only for trusted callers (the oracle tests' huge aliased documents)."""
    return GatewaySchema(
        hide_names=limits is not None and not limits.introspection,
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(
            scalar_map={date: StrictDate, datetime: OffsetDateTime, Decimal: ExactDecimal},
            # "did you mean" would leak the schema that disabled introspection hides
            disable_field_suggestions=limits is not None and not limits.introspection,
        ),
        extensions=[
            SettleLoads,
            OperationTypeLabel,
            OperationChoice,
            *(limit_extensions(limits) if limits is not None else []),
            RequestGuard,
            # bounded: an attacker sending endless distinct documents must not grow memory
            lambda: ParserCache(maxsize=512),
            lambda: CachedValidation(maxsize=512),
        ],
    )


schema = build_schema()
