"""The GraphQL endpoint: authenticates the caller and builds a fresh context per request."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from cross_web import HTTPException
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

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
from gateway.websocket import LegacyHandler, Sockets, close_at, reject
from schema.context import Context

CONTEXT = web.RequestKey("graphql_context", Context)


def error_response(error: ApiError, status: int = 401, headers: dict[str, str] | None = None) -> web.Response:
    body = {"data": None, "errors": [{"message": error.message, "extensions": error.extensions}]}
    extra = {"WWW-Authenticate": http_status.CHALLENGE} if status == 401 else {}
    return web.json_response(body, status=status, headers={**extra, **(headers or {})})


async def _count_attempt(request: web.Request) -> None:
    attempt = await request.app[appkeys.LIMITS].attempt(request.remote or "unknown")
    if not attempt.admitted:
        raise RateLimited(
            f"too many requests without valid credentials from this address; retry after {attempt.retry_after} s",
            retryAfter=attempt.retry_after,
        )


async def principal_of(request: web.Request, source: Mapping[str, object] | None = None) -> Principal | None:
    """Requests without valid credentials are counted per IP; past the limit they get 429.

    `source`: a WebSocket's connection_init payload; the request's headers without it."""
    try:
        app = request.app
        pairs = request.headers.items() if source is None else source
        principal = await app[appkeys.AUTHENTICATOR].authenticate(app[appkeys.DATA].engine, pairs)
    except Unauthenticated:
        await _count_attempt(request)
        raise
    if principal is None:
        await _count_attempt(request)
    return principal


def _http_error(request: web.Request, error: HTTPException) -> web.Response:
    """strawberry's plain-text refusals, as GraphQL errors with a code."""
    if error.reason.startswith("subscriptions are not allowed"):
        return error_response(BadUserInput("subscriptions are served over WebSocket on /graphql"), status=400)
    if request.method == "GET" and "not allowed when using GET" in error.reason:
        return error_response(BadUserInput(f"{error.reason}: use POST"), status=405, headers={"Allow": "POST"})
    return error_response(BadUserInput(error.reason), status=error.status_code)


class View(GraphQLView):
    graphql_ws_handler_class = LegacyHandler

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sockets = Sockets()

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if self.is_websocket_request(request):
            return await self._websocket(request)
        if "subscriptionspec" in request.headers.get("Accept", "").lower():
            # no multipart HTTP subscriptions (Accept: multipart/mixed;subscriptionSpec=1.0):
            # a stream must close when its credential expires, which only the WebSocket does
            return error_response(BadUserInput("subscriptions are served over WebSocket on /graphql"), status=406)
        if self.graphql_ide and self.should_render_graphql_ide(self.request_adapter_class(request)):
            # before run(), which would build a context and count the page load as an attempt
            return await self.render_graphql_ide(request)
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

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self.run(request=request)
        finally:
            context = request.get(CONTEXT)
            if context is not None and context.expiry is not None:
                context.expiry.cancel()

    async def render_graphql_ide(self, request: web.Request) -> web.StreamResponse:
        return graphiql_page()

    async def get_context(self, request: web.Request, response: Any) -> Context:
        websocket = isinstance(response, web.WebSocketResponse)
        if websocket:
            self.sockets.add(response)
        context = build_context(
            data=request.app[appkeys.DATA],
            settings=request.app[appkeys.SETTINGS],
            # a WebSocket authenticates with its connection_init payload (on_ws_connect)
            principal=None if websocket else await self._principal(request),
            tiers=request.app[appkeys.TIERS],
            limits=request.app[appkeys.LIMITS],
            forecaster=request.app[appkeys.FORECASTER],
            request=request,
            response=response,
            live=request.app[appkeys.LIVE],
            ingest=request.app[appkeys.INGEST],
        )
        request[CONTEXT] = context
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """Credentials from the connection_init payload; without valid ones, close with 4403."""
        request, ws = context.request, context.response
        assert request is not None and isinstance(ws, web.WebSocketResponse)
        try:
            principal = await principal_of(request, context.connection_params or {})
            if principal is None:
                raise Unauthenticated("send `Authorization: Bearer <token>` or `X-API-Key: <key>` in the connection_init payload")
        except (Unauthenticated, RateLimited, ServiceUnavailable) as error:
            raise await reject(ws, error) from error
        context.principal = principal
        context.expiry = close_at(ws, principal.expires_at)
        return UNSET

    async def _principal(self, request: web.Request) -> Principal | None:
        return await principal_of(request)

    async def process_result(self, request: web.Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        context = request[CONTEXT]
        if context.response is not None:
            http_status.apply(context.response, result.errors or (), context.budget, context.write_budget)
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
