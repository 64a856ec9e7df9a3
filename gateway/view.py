"""The GraphQL endpoint: authenticates the caller and builds a fresh context per request."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from cross_web import HTTPException
from strawberry.aiohttp.views import GraphQLView
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from auth.metering import cost_block, count_request, points_budget
from auth.principal import Principal
from core.errors import ApiError, BadUserInput, RateLimited, ServiceUnavailable, Unauthenticated
from gateway import appkeys
from gateway import status as http_status
from gateway.context import build_context
from gateway.web import graphiql_page
from schema.context import Context

CONTEXT = web.RequestKey("graphql_context", Context)


def error_response(
    error: ApiError, status: int = 401, headers: dict[str, str] | None = None, cost: dict[str, Any] | None = None
) -> web.Response:
    body: dict[str, Any] = {"data": None, "errors": [{"message": error.message, "extensions": error.extensions}]}
    if cost is not None:
        body["extensions"] = {"cost": cost}
    extra = {"WWW-Authenticate": http_status.CHALLENGE} if status == 401 else {}
    return web.json_response(body, status=status, headers={**extra, **(headers or {})})


async def _count_attempt(request: web.Request) -> None:
    attempt = await request.app[appkeys.LIMITS].attempt(request.remote or "unknown")
    if not attempt.admitted:
        raise RateLimited(
            f"too many requests without valid credentials from this address; retry after {attempt.retry_after} s",
            retryAfter=attempt.retry_after,
        )


def _http_error(request: web.Request, error: HTTPException, cost: dict[str, Any] | None) -> web.Response:
    """strawberry's plain-text refusals, as GraphQL errors with a code."""
    if request.method == "GET" and isinstance(error.__cause__, InvalidOperationTypeError):
        return error_response(BadUserInput(f"{error.reason}: use POST"), status=405, headers={"Allow": "POST"}, cost=cost)
    return error_response(BadUserInput(error.reason), status=error.status_code, cost=cost)


class View(GraphQLView):
    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if self.graphql_ide and self.should_render_graphql_ide(self.request_adapter_class(request)):
            # before authenticating, which would count the page load as a request or an attempt
            return await self.render_graphql_ide(request)
        try:
            context = await self._context(request)
        except Unauthenticated as error:
            return error_response(error)
        except RateLimited as error:  # too many attempts without valid credentials from this address
            return error_response(error, status=429, headers={"Retry-After": str(error.extensions["retryAfter"])})
        except ServiceUnavailable as error:  # the credential store could not be read
            return error_response(error, status=503)
        request[CONTEXT] = context
        response = await self._answer(request, context)
        budget = await points_budget(context)
        if budget is not None:
            http_status.rate_headers(response, budget)
        return response

    async def render_graphql_ide(self, request: web.Request) -> web.StreamResponse:
        return graphiql_page()

    async def _answer(self, request: web.Request, context: Context) -> web.StreamResponse:
        """Every request of a credential is counted first, whatever becomes of it."""
        try:
            await count_request(context)
            if request.method == "POST" and request.content_type != "application/json":
                # no form or multipart bodies: a cross-site <form> cannot post a query
                return error_response(BadUserInput("POST bodies must be application/json"), status=415,
                                      cost=await cost_block(context))
            # run(), not super().__call__(), which would turn HTTPException into plain text
            return await self.run(request=request)
        except RateLimited as error:
            headers = {"Retry-After": str(error.extensions["retryAfter"])}
            return error_response(error, status=429, headers=headers, cost=await cost_block(context))
        except ServiceUnavailable as error:
            return error_response(error, status=503, cost=await cost_block(context))
        except HTTPException as error:
            return _http_error(request, error, await cost_block(context))

    async def _context(self, request: web.Request) -> Context:
        return build_context(
            data=request.app[appkeys.DATA],
            settings=request.app[appkeys.SETTINGS],
            principal=await self._principal(request),
            tiers=request.app[appkeys.TIERS],
            limits=request.app[appkeys.LIMITS],
            request=request,
        )

    async def get_context(self, request: web.Request, response: Any) -> Context:
        context = request[CONTEXT]
        context.response = response
        return context

    async def _principal(self, request: web.Request) -> Principal | None:
        """Requests without valid credentials are counted per IP; past the limit they get 429."""
        try:
            app = request.app
            data = app[appkeys.DATA]
            principal = await app[appkeys.AUTHENTICATOR].authenticate(data.engine, request.headers.items(), data.health)
        except Unauthenticated:
            await _count_attempt(request)
            raise
        if principal is None:
            await _count_attempt(request)
        return principal

    async def process_result(self, request: web.Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        context = request[CONTEXT]
        if context.response is not None:
            http_status.apply(context.response, result.errors or ())
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
