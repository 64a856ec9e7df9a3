"""Recording the operation type on the context, for the request metrics (never its name:
clients choose names freely, and a label must stay bounded)."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension


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
