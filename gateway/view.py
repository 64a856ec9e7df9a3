"""The GraphQL endpoint: authenticates the caller and builds a fresh context per request."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, TypeGuard

from aiohttp import web
from cross_web import HTTPException
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.async_base_view import AsyncHTTPRequestAdapter
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from auth.metering import cost_block, count_request, points_budget
from auth.permissions import IsAuthenticated
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
from gateway.media import negotiate
from gateway.cached_answers import CachedAnswers
from gateway.request_keys import CONTEXT, MEDIA, OUTCOME, RESPONSE_MEDIA
from gateway.web import graphiql_page
from gateway.websocket import LegacyHandler, Sockets, TransportHandler, close_at, reject
from schema.context import Context
from telemetry.metrics import RATE_LIMITED, REQUEST_SECONDS, REQUESTS



@functools.cache
def _instruments(operation: str, outcome: str) -> tuple[Any, Any]:
    """The request counter and histogram of one (operation, outcome), resolved once."""
    return REQUESTS.labels(operation, outcome), REQUEST_SECONDS.labels(operation, outcome)


def error_response(
    request: web.Request, error: ApiError, status: int = 401, headers: dict[str, str] | None = None,
    cost: dict[str, Any] | None = None,
) -> web.Response:
    """A request error: refused before execution, so no `data` entry (GraphQL spec, 7.1)."""
    body: dict[str, Any] = {"errors": [{"message": error.message, "extensions": error.extensions}]}
    if cost is not None:
        body["extensions"] = {"cost": cost}
    extra = {"WWW-Authenticate": http_status.CHALLENGE} if status == 401 else {}
    return web.json_response(
        body, status=status, headers={**extra, **(headers or {})}, content_type=request.get(MEDIA, "application/json")
    )


async def _count_attempt(request: web.Request) -> None:
    attempt = await request.app[appkeys.LIMITS].attempt(request.remote or "unknown")
    if not attempt.admitted:
        RATE_LIMITED.labels("ip_attempts").inc()
        raise RateLimited(
            f"too many requests without valid credentials from this address; retry after {attempt.retry_after} s",
            retryAfter=attempt.retry_after,
        )


async def principal_of(request: web.Request, source: Mapping[str, object] | None = None) -> Principal | None:
    """Requests without valid credentials are counted per IP; past the limit they get 429.

    `source`: a WebSocket's connection_init payload; the request's headers without it."""
    try:
        app = request.app
        pairs = request.headers if source is None else source
        data = app[appkeys.DATA]
        principal = await app[appkeys.AUTHENTICATOR].authenticate(data.engine, pairs, data.health)
    except Unauthenticated:
        await _count_attempt(request)
        raise
    if principal is None:
        await _count_attempt(request)
    return principal


def _http_error(request: web.Request, error: HTTPException, cost: dict[str, Any] | None) -> web.Response:
    """strawberry's plain-text refusals, as GraphQL errors with a code."""
    if error.reason.startswith("subscriptions are not allowed"):
        return error_response(
            request, BadUserInput("subscriptions are served over WebSocket on /graphql"), status=400, cost=cost
        )
    if request.method == "GET" and isinstance(error.__cause__, InvalidOperationTypeError):
        return error_response(
            request, BadUserInput(f"{error.reason}: use POST"), status=405, headers={"Allow": "POST"}, cost=cost
        )
    return error_response(request, BadUserInput(error.reason), status=error.status_code, cost=cost)


class View(CachedAnswers, GraphQLView):
    graphql_ws_handler_class = LegacyHandler
    graphql_transport_ws_handler_class = TransportHandler

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sockets = Sockets()

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        request[MEDIA] = negotiate(request.headers.get("Accept"))
        if self.is_websocket_request(request):
            return await self._websocket(request)
        if "subscriptionspec" in request.headers.get("Accept", "").lower():
            # no multipart HTTP subscriptions (Accept: multipart/mixed;subscriptionSpec=1.0):
            # a stream must close when its credential expires, which only the WebSocket does
            return error_response(request, BadUserInput("subscriptions are served over WebSocket on /graphql"), status=406)
        if self.graphql_ide and self.should_render_graphql_ide(self.request_adapter_class(request)):
            # before run(), which would build a context and count the page load as an attempt
            return await self.render_graphql_ide(request)
        started = time.perf_counter()
        response = await self._authenticated(request)
        context = request.get(CONTEXT)
        operation = context.operation if context is not None else "none"
        outcome = request.get(OUTCOME, "rejected")
        count, seconds = _instruments(operation, outcome)
        count.inc()
        seconds.observe(time.perf_counter() - started)
        return response

    async def _authenticated(self, request: web.Request) -> web.StreamResponse:
        try:
            context = await self._context(request)
        except Unauthenticated as error:
            return error_response(request, error)
        except RateLimited as error:  # too many attempts without valid credentials from this address
            return error_response(request, error, status=429, headers={"Retry-After": str(error.extensions["retryAfter"])})
        except ServiceUnavailable as error:  # the credential store (or the database) cannot be read
            return error_response(request, error, status=503)
        request[CONTEXT] = context
        response = await self._answer(request, context)
        budget = await points_budget(context)
        if budget is not None:
            http_status.rate_headers(response, budget)
        return response

    async def _answer(self, request: web.Request, context: Context) -> web.StreamResponse:
        """Every request of a credential is counted first, whatever becomes of it."""
        try:
            await count_request(context)
            if request.method == "POST" and request.content_type != "application/json":
                # no form or multipart bodies: a cross-site <form> cannot post a query
                return error_response(
                    request, BadUserInput("POST bodies must be application/json"), status=415,
                    cost=await cost_block(context),
                )
            answered = await self._cached(request, context)
            if answered is not None:
                return answered
            # run(), not super().__call__(), which would turn HTTPException into plain text
            return await self.run(request=request)
        except RateLimited as error:
            headers = {"Retry-After": str(error.extensions["retryAfter"])}
            return error_response(request, error, status=429, headers=headers, cost=await cost_block(context))
        except ServiceUnavailable as error:
            return error_response(request, error, status=503, cost=await cost_block(context))
        except HTTPException as error:
            return _http_error(request, error, await cost_block(context))

    def is_websocket_request(self, request: web.Request) -> TypeGuard[web.Request]:
        # strawberry builds a WebSocketResponse and checks a handshake to tell, on every request
        # (twice): a request without `Upgrade: websocket` is no handshake, whatever else it holds
        if "websocket" not in request.headers.get("Upgrade", "").lower():
            return False
        return super().is_websocket_request(request)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self.run(request=request)
        finally:
            context = request.get(CONTEXT)
            if context is not None and context.expiry is not None:
                context.expiry.cancel()

    async def create_websocket_response(self, request: web.Request, subprotocol: str | None) -> web.WebSocketResponse:
        # no permessage-deflate: results are small JSON, and a compressor per connection would
        # cost memory per subscriber and CPU per push per subscriber (shared renderings are
        # written as they are)
        ws = web.WebSocketResponse(protocols=[subprotocol] if subprotocol else [], compress=False)
        await ws.prepare(request)
        return ws

    async def render_graphql_ide(self, request: web.Request) -> web.StreamResponse:
        return graphiql_page()

    async def _context(self, request: web.Request, response: Any = None) -> Context:
        websocket = isinstance(response, web.WebSocketResponse)
        return build_context(
            data=request.app[appkeys.DATA],
            settings=request.app[appkeys.SETTINGS],
            # a WebSocket authenticates with its connection_init payload (on_ws_connect)
            principal=None if websocket else await principal_of(request),
            tiers=request.app[appkeys.TIERS],
            limits=request.app[appkeys.LIMITS],
            forecaster=request.app[appkeys.FORECASTER],
            request=request,
            response=response,
            live=request.app[appkeys.LIVE],
            ingest=request.app[appkeys.INGEST],
        )

    async def get_context(self, request: web.Request, response: Any) -> Context:
        if isinstance(response, web.WebSocketResponse):
            self.sockets.add(response)
            context = await self._context(request, response)
            request[CONTEXT] = context
            return context
        context = request[CONTEXT]  # built and authenticated in __call__
        context.response = response
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
        request.app[appkeys.CREDENTIAL_WATCH].add(ws, context.connection_params or {})
        return UNSET

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData) and not isinstance(data.operation_name, (str, type(None))):
            raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null, if provided.")
        return data

    async def execute_single(  # noqa: PLR0917 - strawberry's signature
        self,
        request: web.Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: web.Response,
        context: Context,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Resolves a persisted query's document first; stores a new one once it proved valid."""
        persisted = request.app[appkeys.PERSISTED]
        try:
            if persisted.requested(request_data.extensions) and context.principal is None:
                raise Unauthenticated("persisted queries need a credential: " + IsAuthenticated.message)
            # a lookup that runs nothing was still counted as a request at the edge
            resolved = await persisted.resolve(request_data.query, request_data.extensions)
        except ApiError as error:
            return ExecutionResult(data=None, errors=[error])
        result = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, replace(request_data, query=resolved.query)
        )
        if resolved.register is not None and not http_status.is_request_error(result.data, result.errors):
            await persisted.register(resolved.register, resolved.query)  # type: ignore[arg-type]
        await self._store(request, context, replace(request_data, query=resolved.query), result)
        return result

    async def process_result(self, request: web.Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        request[OUTCOME] = "error" if result.errors else "ok"
        request_error = http_status.is_request_error(result.data, result.errors)
        if request_error:
            del response["data"]  # refused before execution: no `data` entry (GraphQL spec, 7.1)
        context = request[CONTEXT]
        if context.response is not None:
            codes = [(error.extensions or {}).get("code") for error in result.errors or ()]
            status = http_status.status_of(codes, request[MEDIA]) if request_error else 200
            http_status.apply(context.response, result.errors or (), status, context.write_budget)
        return response

    async def get_sub_response(self, request: web.Request) -> web.Response:
        response = web.Response()
        response[RESPONSE_MEDIA] = request[MEDIA]
        return response

    def create_response(self, response_data: Any, sub_response: web.Response) -> web.Response:
        response = super().create_response(response_data, sub_response)
        response.content_type = sub_response[RESPONSE_MEDIA]
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
