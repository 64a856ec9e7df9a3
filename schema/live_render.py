"""One rendering of a subscription's selection, shared by every subscriber who asked the same.

The key holds everything the answer depends on: the field, the tenant, the document and its
variables as the client sent them, and what of the credential a resolver may look at (tier
and scopes). The rendering executes the subscriber's own document with the event as root
value, exactly as strawberry does per subscriber, and serialises it once.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass, replace
from inspect import isawaitable
from typing import Any

from graphql import GraphQLError, execute, parse
from strawberry.types import Info

from live.outlet import Outlet
from schema.context import Context


def group_key(field: str, tenant_id: str, info: Info[Context, None], outlet: Outlet) -> Hashable:
    principal = info.context.principal
    assert principal is not None  # subscriptions are gated: a principal is there
    variables = json.dumps(outlet.variables or {}, sort_keys=True, separators=(",", ":"), default=str)
    return (field, tenant_id, principal.tier, tuple(sorted(principal.scopes)), outlet.query,
            outlet.operation_name, variables)


@dataclass(frozen=True)
class _Sent:
    """What process_errors reads of an execution context (for the masking of unsent names)."""

    context: Context
    query: str
    variables: dict[str, Any] | None


class Renderer:
    def __init__(self, info: Info[Context, None], outlet: Outlet) -> None:
        self.schema = info.schema
        self.context = info.context
        self.document = parse(outlet.query)
        self.query = outlet.query
        self.variables = outlet.variables
        self.operation_name = outlet.operation_name

    async def render(self, root: object) -> str:
        """The `payload` of a `next` message for `root` (a BookingEvent, KeyMetrics)."""
        # fresh loaders: DataLoaders cache what they read, and a push must read what is stored now
        context = replace(self.context, _loaders=None)  # built on first use
        result = execute(
            self.schema._schema, self.document, root_value=root, context_value=context,
            variable_values=self.variables, operation_name=self.operation_name,
        )
        if isawaitable(result):
            result = await result
        await context.loaders.settle()
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            errors: list[GraphQLError] = list(result.errors)
            # masked and logged once per group, as strawberry does per subscriber
            self.schema.process_errors(errors, _Sent(context, self.query, self.variables))  # type: ignore[arg-type]
            payload["errors"] = [error.formatted for error in errors]
        return json.dumps(payload, separators=(",", ":"))
