"""Clients see coded errors only: known ones as they are, anything else masked with an id."""

from __future__ import annotations

import logging
import uuid

from graphql import GraphQLError
from strawberry.extensions import MaskErrors


log = logging.getLogger("gateway.errors")


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def code_request_errors(errors: list[GraphQLError]) -> None:
    """An uncoded error that is not an unexpected exception comes from parsing or validating the
    document or its variables: that is the client's input, so it is BAD_USER_INPUT."""
    for error in errors:
        if not (error.extensions or {}).get("code") and not is_unexpected(error):
            error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}


class ErrorMasking(MaskErrors):
    """Masks unexpected exceptions; the client gets an error id, the log the traceback."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Internal server error")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        error_id = uuid.uuid4().hex[:16]
        log.error("internal error %s at %s", error_id, error.path, exc_info=error.original_error)
        masked = super().anonymise_error(error)
        masked.message = f"Internal server error (error id {error_id})"
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id}
        return masked
