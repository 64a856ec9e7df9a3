"""Errors a client may see, each with its `extensions.code`; anything else is masked."""

from __future__ import annotations

from graphql import GraphQLError


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
