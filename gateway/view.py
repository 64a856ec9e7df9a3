"""The GraphQL endpoint: authenticates the caller and builds a fresh context per request."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web
from cross_web import HTTPException
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from auth.principal import Principal
from core.errors import (
    ApiError,
    BadUserInput,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
)
from gateway import appkeys
from gateway import status as http_status
from gateway.context import build_context
from gateway.web import graphiql_page
from schema.context import Context
from telemetry.metrics import RATE_LIMITED, REQUEST_SECONDS, REQUESTS

CONTEXT = web.RequestKey("graphql_context", Context)
OUTCOME = web.RequestKey("graphql_outcome", str)  # ok or error; absent: refused before execution


def error_response(error: ApiError, status: int = 401, headers: dict[str, str] | None = None) -> web.Response:
    body = {"data": None, "errors": [{"message": error.message, "extensions": error.extensions}]}
    extra = {"WWW-Authenticate": http_status.CHALLENGE} if status == 401 else {}
    return web.json_response(body, status=status, headers={**extra, **(headers or {})})


async def _count_attempt(request: web.Request) -> None:
    attempt = await request.app[appkeys.LIMITS].attempt(request.remote or "unknown")
    if not attempt.admitted:
        RATE_LIMITED.labels("ip_attempts").inc()
        raise RateLimited(
            f"too many requests without valid credentials from this address; retry after {attempt.retry_after} s",
            retryAfter=attempt.retry_after,
        )


def _http_error(request: web.Request, error: HTTPException) -> web.Response:
    """strawberry's plain-text refusals, as GraphQL errors with a code."""
    if request.method == "GET" and "not allowed when using GET" in error.reason:
        return error_response(BadUserInput(f"{error.reason}: use POST"), status=405, headers={"Allow": "POST"})
    return error_response(BadUserInput(error.reason), status=error.status_code)


class View(GraphQLView):
    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if self.graphql_ide and self.should_render_graphql_ide(self.request_adapter_class(request)):
            # before run(), which would build a context and count the page load as an attempt
            return await self.render_graphql_ide(request)
        started = time.perf_counter()
        response = await self._answer(request)
        context = request.get(CONTEXT)
        operation = context.operation if context is not None else "none"
        outcome = request.get(OUTCOME, "rejected")
        REQUESTS.labels(operation, outcome).inc()
        REQUEST_SECONDS.labels(operation, outcome).observe(time.perf_counter() - started)
        return response

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        if request.method == "POST" and request.content_type != "application/json":
            # no form or multipart bodies: a cross-site <form> cannot post a query
            return error_response(BadUserInput("POST bodies must be application/json"), status=415)
        try:
            # run(), not super().__call__(), which would turn HTTPException into plain text
            return await self.run(request=request)
        except Unauthenticated as error:
            return error_response(error)
        except RateLimited as error:
            return error_response(error, status=429, headers={"Retry-After": str(error.extensions["retryAfter"])})
        except ServiceUnavailable as error:  # the credential store could not be read
            return error_response(error, status=503)
        except HTTPException as error:
            return _http_error(request, error)

    async def render_graphql_ide(self, request: web.Request) -> web.StreamResponse:
        return graphiql_page()

    async def get_context(self, request: web.Request, response: Any) -> Context:
        context = build_context(
            data=request.app[appkeys.DATA],
            settings=request.app[appkeys.SETTINGS],
            principal=await self._principal(request),
            tiers=request.app[appkeys.TIERS],
            limits=request.app[appkeys.LIMITS],
            forecaster=request.app[appkeys.FORECASTER],
            request=request,
            response=response,
        )
        request[CONTEXT] = context
        return context

    async def _principal(self, request: web.Request) -> Principal | None:
        """Requests without valid credentials are counted per IP; past the limit they get 429."""
        try:
            app = request.app
            principal = await app[appkeys.AUTHENTICATOR].authenticate(app[appkeys.DATA].engine, request.headers.items())
        except Unauthenticated:
            await _count_attempt(request)
            raise
        if principal is None:
            await _count_attempt(request)
        return principal

    async def process_result(self, request: web.Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        request[OUTCOME] = "error" if result.errors else "ok"
        context = request[CONTEXT]
        if context.response is not None:
            http_status.apply(context.response, result.errors or (), context.budget)
        return response

    def parse_json(self, data: str | bytes) -> Any:
        # strawberry turns only JSONDecodeError into a 400: bad UTF-8 or absurd nesting would be a
        # 500, and a body that is valid JSON but no object (a string, a number, null) crashes it.
        # Used for the POST body and the GET `variables`/`extensions`, all of which must be objects
        # (a list is a batch, which strawberry refuses itself).
        try:
            parsed = json.loads(data)
        except (ValueError, RecursionError) as error:
            raise HTTPException(400, "Unable to parse request body as JSON") from error
        if not isinstance(parsed, (dict, list)):
            raise HTTPException(400, "Expected a JSON object")
        return parsed

    def encode_json(self, data: object) -> str:
        return json.dumps(data, separators=(",", ":"))
