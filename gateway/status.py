"""The HTTP status and rate-limit headers of a GraphQL response, from its error codes."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web
from graphql import GraphQLError

from auth.limits import Budget

# request-level refusals; field errors (FORBIDDEN, BAD_USER_INPUT on an argument) stay 200
# because the rest of the data may still be good
CHALLENGE = 'Bearer realm="analytics-gateway"'
STATUS = {"UNAUTHENTICATED": 401, "RATE_LIMITED": 429, "SERVICE_UNAVAILABLE": 503, "QUERY_TOO_COMPLEX": 400}


def apply(response: web.StreamResponse, errors: Iterable[GraphQLError]) -> None:
    errors = list(errors)
    codes = [(error.extensions or {}).get("code") for error in errors]
    for code, status in STATUS.items():
        if code in codes:
            response.set_status(status)
            break
    else:
        if errors and all(error.path is None for error in errors):
            response.set_status(400)  # the document or its variables were refused: nothing ran
    if "UNAUTHENTICATED" in codes:
        response.headers["WWW-Authenticate"] = CHALLENGE
    if "RATE_LIMITED" in codes:
        retry = next(e.extensions.get("retryAfter") for e in errors if (e.extensions or {}).get("code") == "RATE_LIMITED")
        response.headers["Retry-After"] = str(retry or 1)


def rate_headers(response: web.StreamResponse, budget: Budget) -> None:
    """The points budget, on every response to an authenticated caller (see docs/limits.md)."""
    response.headers["X-RateLimit-Limit"] = str(budget.limit)
    response.headers["X-RateLimit-Remaining"] = str(budget.remaining)
    response.headers["X-RateLimit-Reset"] = str(int(budget.reset_at.timestamp()))
