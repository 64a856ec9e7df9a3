"""Static cost of an operation, computed from the document and variables before anything runs.

cost(field) = size x (weight + cost of its selection), summed over every field node. Aliases
are separate nodes and fragments count wherever they are spread, so neither hides cost;
nested lists multiply. Each fragment is costed once and its cost reused, so the walk is linear
in the document's size. Weights and sizes are declared next to each field (`schema/`) as
`metadata={"cost": Cost(...)}`; undeclared object fields weigh 1, scalars 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    is_composite_type,
)
from graphql.execution.values import get_argument_values, get_variable_values

from auth.principal import Principal

INTROSPECTION_COST = 10
Args = Mapping[str, Any]


@dataclass(frozen=True)
class Scope:
    """What a size function may look at: the principal and the arguments of enclosing fields."""

    principal: Principal | None
    inherited: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Cost:
    weight: int = 1
    # how many items a list field returns, from its arguments (and its ancestors')
    size: Callable[[Args, Scope], int] | None = None
    # arguments handed down to the selection (e.g. charts' range for its trends)
    hands_down: tuple[str, ...] = ()
    # tenant ids a root field reads
    touches: Callable[[Args, Scope], set[str]] | None = None


@dataclass
class Analysis:
    cost: int = 0
    tenants: set[str] = field(default_factory=set)
    visits: int = 0  # selection nodes walked: linear in the document, whatever its fragments


class CostAnalyzer:
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema

    def analyze(
        self, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any] | None,
        principal: Principal | None,
    ) -> Analysis:
        operation = get_operation_ast(document, operation_name)
        root = None if operation is None else self.schema.get_root_type(operation.operation)
        if operation is None or root is None:
            return Analysis()
        walk = _Walk(self._fragments(document), self._variables(operation, variables), Analysis())
        walk.analysis.cost = walk.selection(root, operation.selection_set, Scope(principal))
        walk.analysis.visits = walk.visits
        return walk.analysis

    @staticmethod
    def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
        return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def _variables(self, operation: OperationDefinitionNode, raw: Mapping[str, Any] | None) -> Any:
        coerced = get_variable_values(self.schema, operation.variable_definitions or (), dict(raw or {}))
        # invalid variables fail at execution with BAD_USER_INPUT; arguments using them cost as absent
        return None if isinstance(coerced, list) else coerced


@dataclass
class _Walk:
    """One pass over the operation; each fragment is costed once per (parent type, scope).

    A fragment spread twice counts twice, but is walked once: a chain of fragments that each
    spread the previous one twice costs 2^n points and n visits.
    """

    fragments: dict[str, FragmentDefinitionNode]
    variables: Any  # graphql-core's coerced VariableValues, None when they did not coerce
    analysis: Analysis
    visits: int = 0
    _memo: dict[tuple[str, str, str], tuple[int, frozenset[str]]] = field(default_factory=dict)
    _active: set[str] = field(default_factory=set)

    def selection(self, parent: GraphQLObjectType, selection_set: SelectionSetNode, scope: Scope) -> int:
        total = 0
        for selection in selection_set.selections:
            self.visits += 1
            if isinstance(selection, FieldNode):
                total += self._node(parent, selection, scope)
            elif isinstance(selection, InlineFragmentNode):
                total += self.selection(parent, selection.selection_set, scope)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(parent, selection.name.value, scope)
        return total

    def fragment(self, parent: GraphQLObjectType, name: str, scope: Scope) -> int:
        key = (name, parent.name, repr(sorted(scope.inherited.items())))
        if key not in self._memo:
            if name not in self.fragments or name in self._active:  # unknown or cyclic: invalid anyway
                return 0
            outer, self.analysis.tenants = self.analysis.tenants, set()
            self._active.add(name)
            try:
                cost = self.selection(parent, self.fragments[name].selection_set, scope)
            finally:
                self._active.discard(name)
                inner, self.analysis.tenants = self.analysis.tenants, outer
            self._memo[key] = (cost, frozenset(inner))
        cost, tenants = self._memo[key]
        self.analysis.tenants |= tenants
        return cost

    def _node(self, parent: GraphQLObjectType, node: FieldNode, scope: Scope) -> int:
        name = node.name.value
        if name.startswith("__"):
            return INTROSPECTION_COST if name in ("__schema", "__type") else 0
        definition = parent.fields.get(name)
        return 0 if definition is None else self.field(definition, node, scope)  # unknown fields fail validation

    def field(self, definition: GraphQLField, node: FieldNode, scope: Scope) -> int:
        spec = _spec(definition)
        args = self._args(definition, node)
        if spec.touches is not None:
            self.analysis.tenants |= spec.touches(args, scope)
        size = max(spec.size(args, scope), 0) if spec.size else 1
        child = get_named_type(definition.type)
        children = 0
        if node.selection_set is not None and isinstance(child, GraphQLObjectType):
            handed = {name: args[name] for name in spec.hands_down if name in args}
            inner = Scope(scope.principal, {**scope.inherited, **handed})
            children = self.selection(child, node.selection_set, inner)
        return size * (spec.weight + children)

    def _args(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        try:
            return get_argument_values(definition, node, self.variables)
        except (GraphQLError, AttributeError, TypeError):
            return {}


def _spec(definition: GraphQLField) -> Cost:
    strawberry_field = (definition.extensions or {}).get("strawberry-definition")
    declared = getattr(strawberry_field, "metadata", None) or {}
    if "cost" in declared:
        return declared["cost"]
    return Cost(weight=1 if is_composite_type(get_named_type(definition.type)) else 0)
