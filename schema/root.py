"""The root schema: types, scalars and the extensions every operation runs through."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES

from auth.guard import RequestGuard
from auth.query_limits import QueryLimits, limit_extensions
from schema.operation import OperationType as OperationTypeLabel
from schema import enums  # noqa: F401 - registers the enums under their contract names
from schema.masking import ErrorMasking, code_request_errors
from schema.mutation import Mutation
from schema.query import Query
from schema.subscription import Subscription
from schema.scalars import ExactDecimal, OffsetDateTime, StrictDate
from schema.settling import SettleLoads


class GatewaySchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Client errors are answers, not faults: they are coded, not logged. Unexpected ones
        # are logged by ErrorMasking together with the error id the client sees.
        code_request_errors(errors)

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
            ErrorMasking,
            *(limit_extensions(limits) if limits is not None else []),
            RequestGuard,
            # bounded: an attacker sending endless distinct documents must not grow memory
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
        ],
    )


schema = build_schema()
