"""Shape limits on the document itself: depth, aliases, tokens, root fields, field nodes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)

TOO_COMPLEX = {"code": "QUERY_TOO_COMPLEX"}


@dataclass(frozen=True)
class QueryLimits:
    """Defaults leave room for the largest dashboard query (~40 fields, depth 5)."""

    max_depth: int = 10
    max_aliases: int = 50
    max_tokens: int = 3000
    max_root_fields: int = 10
    max_field_nodes: int = 400
    introspection: bool = True


def _count_fields(selection_set: SelectionSetNode, context: ValidationContext, seen: frozenset[str]) -> tuple[int, int]:
    """(field nodes in this selection with fragments expanded, of which directly at this level)."""
    total = direct = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += 1
            direct += 1
            if selection.selection_set:
                total += _count_fields(selection.selection_set, context, seen)[0]
        elif isinstance(selection, InlineFragmentNode):
            inner_total, inner_direct = _count_fields(selection.selection_set, context, seen)
            total, direct = total + inner_total, direct + inner_direct
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = context.get_fragment(selection.name.value)
            if fragment is not None:
                inner_total, inner_direct = _count_fields(fragment.selection_set, context, seen | {selection.name.value})
                total, direct = total + inner_total, direct + inner_direct
    return total, direct


def field_count_rule(limits: QueryLimits) -> type[ValidationRule]:
    class FieldCount(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            total, root = _count_fields(node.selection_set, self.context, frozenset())
            if root > limits.max_root_fields:
                self.report_error(GraphQLError(
                    f"{root} root fields found; at most {limits.max_root_fields} are allowed",
                    node, extensions=TOO_COMPLEX,
                ))
            if total > limits.max_field_nodes:
                self.report_error(GraphQLError(
                    f"{total} fields found; at most {limits.max_field_nodes} are allowed", node, extensions=TOO_COMPLEX
                ))

    return FieldCount


def limit_extensions(limits: QueryLimits) -> list[Callable[[], Any]]:
    extensions: list[Callable[[], Any]] = [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: QueryDepthLimiter(max_depth=limits.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        lambda: AddValidationRules([field_count_rule(limits)]),
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    return extensions


# messages of strawberry's and graphql-core's own limiters, which carry no code
LIMIT_MESSAGES = ("exceeds maximum operation depth", "aliases found. Allowed", "Document contains more than")


def is_limit_error(error: GraphQLError) -> bool:
    return any(marker in error.message for marker in LIMIT_MESSAGES)
