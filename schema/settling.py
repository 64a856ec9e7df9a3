"""No SQL of a request outlives it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension


class SettleLoads(SchemaExtension):
    """After the operation, wait for loads that failed siblings left running.

    Without this a statement could still hold a pooled connection when the response is sent,
    and closing the event loop (shutdown, tests) would hang on it.
    """

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        loaders = getattr(self.execution_context.context, "loaders", None)
        if loaders is not None:
            await loaders.settle()
