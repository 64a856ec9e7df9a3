"""Shape limits on the document itself: tokens, depth, aliases, root fields, field nodes.

Every check is linear in the document's size. Fragments are measured once each and their
measure reused wherever they are spread, so a chain of fragments that each spread the
previous one twice (2^n fields once expanded, under 1 KB written) costs n visits, and its
expanded size is computed as a number, never by expanding it. The checks run before
graphql-core's own validation (which is skipped for a refused document) and before anything
else that walks the document; each refusal is a `QUERY_TOO_COMPLEX` error raised here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
)
from graphql.language import Lexer, TokenKind
from graphql.validation import MaxIntrospectionDepthRule
from strawberry.extensions import DisableIntrospection, SchemaExtension, ValidationCache

from core.errors import QueryTooComplex


@dataclass(frozen=True)
class QueryLimits:
    """Defaults leave room for the largest dashboard query (~40 fields, depth 5)."""

    max_depth: int = 10
    max_aliases: int = 50
    max_tokens: int = 3000
    max_root_fields: int = 10
    max_field_nodes: int = 400
    introspection: bool = True


@dataclass(frozen=True)
class Shape:
    """A selection set measured with its fragments expanded (as numbers, not by expanding)."""

    depth: int = 0  # deepest nesting below this selection (a leaf field is 0)
    fields: int = 0  # field nodes, nested ones included
    aliases: int = 0
    direct: int = 0  # field nodes at this level (through fragments and inline fragments)

    def plus(self, other: Shape) -> Shape:
        return Shape(max(self.depth, other.depth), self.fields + other.fields, self.aliases + other.aliases,
                     self.direct + other.direct)


EMPTY = Shape()


class Measure:
    """Measures selection sets; each fragment definition is visited at most once."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self._memo: dict[str, Shape] = {}
        self._active: set[str] = set()
        self.visits = 0  # selection nodes looked at: at most the number in the document

    def selection_set(self, selection_set: SelectionSetNode) -> Shape:
        shape = EMPTY
        for selection in selection_set.selections:
            self.visits += 1
            if isinstance(selection, FieldNode):
                shape = shape.plus(self._field(selection))
            elif isinstance(selection, InlineFragmentNode):
                shape = shape.plus(self.selection_set(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                shape = shape.plus(self.fragment(selection.name.value))
        return shape

    def fragment(self, name: str) -> Shape:
        if name in self._memo:
            return self._memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self._active:  # unknown or cyclic: validation reports it
            return EMPTY
        self._active.add(name)
        try:
            shape = self.selection_set(definition.selection_set)
        finally:
            self._active.discard(name)
        self._memo[name] = shape
        return shape

    def _field(self, node: FieldNode) -> Shape:
        inner = self.selection_set(node.selection_set) if node.selection_set else EMPTY
        # introspection is bounded by IntrospectionDepth instead (GraphiQL's own query nests 14 deep)
        depth = inner.depth + 1 if node.selection_set and not node.name.value.startswith("__") else 0
        return Shape(depth, 1 + inner.fields, int(node.alias is not None) + inner.aliases, 1)


def shape_errors(document: DocumentNode, limits: QueryLimits, measure: Measure | None = None) -> list[GraphQLError]:
    """Every limit each operation of the document exceeds (all operations: validation reads them all)."""
    measure = measure or Measure(document)
    errors: list[GraphQLError] = []
    for operation in document.definitions:
        if isinstance(operation, OperationDefinitionNode):
            errors += _operation_errors(operation, measure.selection_set(operation.selection_set), limits)
    return errors


def _operation_errors(node: OperationDefinitionNode, shape: Shape, limits: QueryLimits) -> Iterator[GraphQLError]:
    checks = (
        ("MAX_QUERY_DEPTH", shape.depth, limits.max_depth, "levels of nesting"),
        ("MAX_ALIASES", shape.aliases, limits.max_aliases, "aliases"),
        ("MAX_ROOT_FIELDS", shape.direct, limits.max_root_fields, "root fields"),
        ("MAX_FIELD_NODES", shape.fields, limits.max_field_nodes, "fields (fragments expanded)"),
    )
    for setting, found, allowed, what in checks:
        if found > allowed:
            name = f"`{node.name.value}` " if node.name else ""
            yield QueryTooComplex(f"the operation {name}has {found} {what}; at most {allowed} are allowed",
                                  limit=setting, maximum=allowed)


def token_error(query: str, max_tokens: int) -> GraphQLError | None:
    """Counts tokens up to the limit; a lexing error is left for the parser to report."""
    lexer = Lexer(Source(query))
    try:
        for _ in range(max_tokens + 1):
            if lexer.advance().kind == TokenKind.EOF:
                return None
    except GraphQLError:
        return None
    return QueryTooComplex(f"the document has more than {max_tokens} tokens", limit="MAX_TOKENS", maximum=max_tokens)


class IntrospectionDepth(MaxIntrospectionDepthRule):
    """graphql-core's circular-introspection guard (memoised), coded at the source."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": QueryTooComplex.code, "limit": "INTROSPECTION_DEPTH"}
        super().report_error(error)


class DocumentLimits(SchemaExtension):
    """Tokens before parsing; shape after parsing and before graphql-core's validation."""

    def __init__(self, limits: QueryLimits) -> None:
        super().__init__()
        self.limits = limits

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        if query and self.execution_context.graphql_document is None:
            error = token_error(query, self.limits.max_tokens)
            if error is not None:
                raise error
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            errors = shape_errors(context.graphql_document, self.limits)
            if errors:
                context.pre_execution_errors = errors  # strawberry then skips graphql-core's validation
        # graphql-core's own guard against circular introspection, with our code
        context.validation_rules = tuple(
            IntrospectionDepth if rule is MaxIntrospectionDepthRule else rule for rule in context.validation_rules
        )
        yield


class CachedValidation(ValidationCache):
    """graphql-core's validation, cached, for documents within the limits only.

    strawberry's ValidationCache would validate (and overwrite the refusal of) a document the
    limits already refused; validation is exactly the expensive walk the limits guard.
    """

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors:
            yield
            return
        yield from super().on_validate()


def limit_extensions(limits: QueryLimits) -> list[Callable[[], Any]]:
    extensions: list[Callable[[], Any]] = [lambda: DocumentLimits(limits)]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    return extensions
