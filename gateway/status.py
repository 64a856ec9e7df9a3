"""The HTTP status and rate-limit headers of a GraphQL response.

Status follows GraphQL over HTTP: a response with `data` (execution ran, even if some fields
failed) is 200; a request error (refused before execution, no `data`) is 4xx by its code.
The one difference between the media types: PERSISTED_QUERY_NOT_FOUND is 200 under
`application/json`, as Apollo Server answers and Apollo clients expect, but 404 under
`application/graphql-response+json`, where a response without `data` must not be 2xx.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web
from graphql import GraphQLError

from auth.limits import Budget, write_budget_headers
from gateway.media import JSON

CHALLENGE = 'Bearer realm="analytics-gateway"'
# the first code of the list found among a request error's codes decides its status
REQUEST_ERROR_STATUS = {
    "UNAUTHENTICATED": 401,
    "RATE_LIMITED": 429,
    "SERVICE_UNAVAILABLE": 503,
    "FORBIDDEN": 403,
    "PERSISTED_QUERY_NOT_FOUND": 404,
    "QUERY_TOO_COMPLEX": 400,
}
# a full write queue or a shutting-down instance: retry, here or elsewhere
RETRY_LATER = 503


def is_request_error(data: object, errors: Iterable[GraphQLError] | None) -> bool:
    """Nothing executed: no data and only errors without a path (document, variables, guard)."""
    errors = list(errors or ())
    return data is None and bool(errors) and all(error.path is None for error in errors)


def status_of(codes: list[str | None], media: str) -> int:
    """The status of a request error with these codes."""
    if media == JSON and codes and all(code == "PERSISTED_QUERY_NOT_FOUND" for code in codes):
        return 200
    return next((status for code, status in REQUEST_ERROR_STATUS.items() if code in codes), 400)


def apply(
    response: web.StreamResponse, errors: Iterable[GraphQLError], status: int, write_budget: Budget | None = None
) -> None:
    errors = list(errors)
    codes = [(error.extensions or {}).get("code") for error in errors]
    response.set_status(status)
    if "UNAUTHENTICATED" in codes:
        response.headers["WWW-Authenticate"] = CHALLENGE
    if "RATE_LIMITED" in codes:
        retry = next(e.extensions.get("retryAfter") for e in errors if (e.extensions or {}).get("code") == "RATE_LIMITED")
        response.headers["Retry-After"] = str(retry or 1)
    # the database is down or the write queue is full: even a field's error makes the whole answer
    # a 503, so clients and load balancers retry instead of showing partial data as current
    unavailable = [e for e in errors if (e.extensions or {}).get("code") == "SERVICE_UNAVAILABLE"]
    if unavailable and response.status == 200:
        response.set_status(RETRY_LATER)
    retry = next((e.extensions["retryAfter"] for e in unavailable if "retryAfter" in e.extensions), None)
    if retry is not None:
        response.headers["Retry-After"] = str(retry)
    if write_budget is not None:
        response.headers.update(write_budget_headers(write_budget))


def rate_headers(response: web.StreamResponse, budget: Budget) -> None:
    """The points budget, on every response to an authenticated caller (see docs/limits.md)."""
    response.headers["X-RateLimit-Limit"] = str(budget.limit)
    response.headers["X-RateLimit-Remaining"] = str(budget.remaining)
    response.headers["X-RateLimit-Reset"] = str(int(budget.reset_at.timestamp()))
