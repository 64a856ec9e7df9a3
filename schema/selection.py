"""The fields a selection asks for, read from graphql-core's nodes (to load only what they need)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
)


def selections(nodes: Iterable[FieldNode], fragments: Mapping[str, FragmentDefinitionNode]) -> dict[str, list[FieldNode]]:
    """The fields selected under these nodes, by name, through fragments (aliases and
    directives aside: a field under @skip is loaded for nothing, never missed).

    Read from graphql-core's nodes: Strawberry's `selected_fields` converts the whole subtree,
    arguments included, which cost more than the awaits this saves."""
    out: dict[str, list[FieldNode]] = {}
    stack = [selection for node in nodes if node.selection_set for selection in node.selection_set.selections]
    while stack:
        selection = stack.pop()
        if isinstance(selection, FieldNode):
            out.setdefault(selection.name.value, []).append(selection)
        elif isinstance(selection, FragmentSpreadNode):
            stack.extend(fragments[selection.name.value].selection_set.selections)
        elif isinstance(selection, InlineFragmentNode):
            stack.extend(selection.selection_set.selections)
    return out
