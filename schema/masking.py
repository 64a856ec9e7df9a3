"""Clients see coded errors only: known ones as they are, anything else masked with an id.

All of it happens in the schema's `process_errors`, which strawberry calls for every error of
every phase (parsing, validation, an extension's refusal, execution), so nothing escapes
uncoded or unmasked, whichever phase it came from.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, GraphQLSchema, is_enum_type, is_input_object_type, is_object_type

from core.errors import ServiceUnavailable
from loaders.outage import DatabaseHealth, is_outage

log = logging.getLogger("gateway.errors")
NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
QUOTED = re.compile(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`")  # graphql-core quotes names, we backtick them
SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
LONG_ECHO = 60
# names every GraphQL server has; revealing them tells nothing about this schema
STANDARD_NAMES = frozenset({"String", "Int", "Float", "Boolean", "ID", "Query", "Mutation", "Subscription"})


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def process(errors: list[GraphQLError], context: Any, hidden: frozenset[str] | None, sent: str) -> None:
    """In place: outages coded, unexpected errors masked, request errors coded, echoes cut short,
    and with introspection off (`hidden`: the schema's names) no name the caller did not send."""
    for index, error in enumerate(errors):
        coded = bool((error.extensions or {}).get("code"))
        if is_unexpected(error) and is_outage(error.original_error):
            data = getattr(context, "data", None)
            error = _outage(error, data.health if data is not None else None)
        elif is_unexpected(error) or (error.path is not None and not coded):
            # an exception, or graphql-core refusing what a resolver returned (a null for a
            # non-null field): the server's fault either way
            error = _mask(error)
        elif not coded:
            # neither ours nor a fault: the document or its variables were refused
            error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        error.message = _short_echoes(error.message)
        if hidden is not None:
            error.message = _without_unsent_names(error.message, hidden, sent)
        errors[index] = error
    errors[:] = _once_each(errors)


def _once_each(errors: list[GraphQLError]) -> list[GraphQLError]:
    """A document repeating one mistake (a thousand `@aa`) gets it reported once, not a thousand
    times: the answer stays small, and tells nothing more by repetition."""
    seen: set[str] = set()
    kept = []
    for error in errors:
        if error.path is None:
            if error.message in seen:
                continue
            seen.add(error.message)
        kept.append(error)
    return kept


def _mask(error: GraphQLError) -> GraphQLError:
    error_id = uuid.uuid4().hex[:16]
    log.error("internal error %s at %s", error_id, error.path, exc_info=error.original_error)
    return GraphQLError(
        f"Internal server error (error id {error_id})", error.nodes, error.source, error.positions, error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    )


def _outage(error: GraphQLError, health: DatabaseHealth | None) -> GraphQLError:
    assert error.original_error is not None
    if health is not None:
        health.failed(error.original_error)  # logs the first failure of an outage only
    else:
        log.error("database error at %s", error.path, exc_info=error.original_error)
    refusal = ServiceUnavailable("the database cannot be reached right now; retry later")
    return GraphQLError(refusal.message, error.nodes, error.source, error.positions, error.path,
                        extensions=refusal.extensions)


def _short_echoes(message: str) -> str:
    """Library messages quote the client's values; a huge one is not sent back in full."""
    return QUOTED.sub(lambda m: m[0] if len(m[0]) <= LONG_ECHO else f"{m[0][:LONG_ECHO - 2]}…{m[0][0]}", message)


def _without_unsent_names(message: str, hidden: frozenset[str], sent: str) -> str:
    message = SUGGESTION.sub("", message)
    sent_names = set(NAME.findall(sent))

    def redact(match: re.Match[str]) -> str:
        names = set(NAME.findall(match[0])) & hidden
        return match[0] if names <= sent_names else match[0][0] + "…" + match[0][0]

    return QUOTED.sub(redact, message)


def schema_names(schema: GraphQLSchema) -> frozenset[str]:
    """Every name introspection would reveal: types, fields, arguments, enum values, input fields."""
    return frozenset(_names(schema)) - STANDARD_NAMES


def _names(schema: GraphQLSchema) -> Iterator[str]:
    for name, named in schema.type_map.items():
        if name.startswith("__"):
            continue
        yield name
        if is_object_type(named):
            for field_name, field in named.fields.items():
                yield field_name
                yield from field.args
        elif is_input_object_type(named):
            yield from named.fields
        elif is_enum_type(named):
            yield from named.values
