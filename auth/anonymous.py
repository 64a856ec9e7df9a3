"""Before execution: a caller without credentials may only select root fields open to anyone.

Refusing the whole request up front (401, no `data`) instead of letting each guarded field
fail makes "no credentials" a request error with one clear status, as GraphQL over HTTP asks.
Open fields are introspection and root fields without permission classes.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.utilities import get_operation_ast


def guarded_root_fields(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> list[str]:
    """The root fields of the operation that need credentials, in document order."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return []
    root = schema.get_root_type(operation.operation)
    if root is None:
        return []
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    guarded = []
    for name in _field_names(operation.selection_set, fragments, set()):
        field = root.fields.get(name)
        definition = None if field is None else field.extensions.get("strawberry-definition")
        if not name.startswith("__") and (definition is None or definition.permission_classes):
            guarded.append(name)
    return guarded


def _field_names(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]) -> list[str]:
    names = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.append(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names += _field_names(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                names += _field_names(fragment.selection_set, fragments, seen | {selection.name.value})
    return names
