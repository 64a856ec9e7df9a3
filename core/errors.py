"""Errors a client may see, each with its `extensions.code`; anything else is masked."""

from __future__ import annotations

from graphql import GraphQLError


ECHO_LIMIT = 40


def shown(value: object, limit: int = ECHO_LIMIT) -> str:
    """A client's value for an error message: quoted, and cut short (a 1 MB id is not echoed)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


class ApiError(GraphQLError):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: object) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, argument: str | None = None) -> None:
        if argument is None:
            super().__init__(message)
        else:
            super().__init__(message, argument=argument)


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"


class Forbidden(ApiError):
    code = "FORBIDDEN"


class ServiceUnavailable(ApiError):
    code = "SERVICE_UNAVAILABLE"


class QueryTooComplex(ApiError):
    code = "QUERY_TOO_COMPLEX"


class RateLimited(ApiError):
    code = "RATE_LIMITED"


class InsufficientPeers(ApiError):
    """A benchmark with fewer peers than the k-anonymity minimum.

    The message depends on k alone, never on how many peers there are (or which).
    """

    code = "INSUFFICIENT_PEERS"

    def __init__(self, minimum: int) -> None:
        super().__init__(
            f"too few peers of this segment have data for this metric in the range to compare anonymously "
            f"(at least {minimum} are needed)",
            minimumPeers=minimum,
        )
