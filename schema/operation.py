"""The operation of a request: which one runs (with several, the client must name it, GraphQL
spec 6.1), and its type on the context for the request metrics (never its name: clients choose
names freely, and a label must stay bounded)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from core.errors import BadUserInput


class OperationType(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        try:
            kind = self.execution_context.operation_type.value
        except Exception:  # noqa: BLE001 - no single operation in the document
            kind = "unknown"
        if hasattr(context, "operation"):
            context.operation = kind
        yield


class OperationChoice(SchemaExtension):
    """strawberry would run the first of several operations when `operationName` is missing:
    its `operation_name` falls back to the first operation's name, so the name the client sent
    is read from where strawberry keeps it."""

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        if context.graphql_document is None or context._provided_operation_name is not None:  # noqa: SLF001
            return
        count = sum(isinstance(d, OperationDefinitionNode) for d in context.graphql_document.definitions)
        if count > 1:
            raise BadUserInput(f"the document has {count} operations: send `operationName` to choose one")
