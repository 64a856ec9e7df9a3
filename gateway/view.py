"""The GraphQL endpoint: authenticates the caller and builds a fresh context per request."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from cross_web import HTTPException
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from auth.principal import Principal
from gateway import appkeys
from gateway.context import Context, build_context
from gateway.errors import Unauthenticated

CONTEXT = web.RequestKey("graphql_context", Context)


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization header must be `Bearer <token>`")
    return token.strip()


def authenticate(request: web.Request) -> Principal | None:
    token = bearer_token(request)
    return None if token is None else request.app[appkeys.VERIFIER].verify(token)


def error_response(error: Unauthenticated, status: int = 401) -> web.Response:
    body = {"data": None, "errors": [{"message": error.message, "extensions": error.extensions}]}
    headers = {"WWW-Authenticate": 'Bearer realm="analytics-gateway"'} if status == 401 else {}
    return web.json_response(body, status=status, headers=headers)


class View(GraphQLView):
    async def __call__(self, request: web.Request) -> web.StreamResponse:
        try:
            return await super().__call__(request)
        except Unauthenticated as error:
            return error_response(error)

    async def get_context(self, request: web.Request, response: Any) -> Context:
        context = build_context(
            engine=request.app[appkeys.ENGINE],
            settings=request.app[appkeys.SETTINGS],
            principal=authenticate(request),
            tiers=request.app[appkeys.TIERS],
            request=request,
            response=response,
        )
        request[CONTEXT] = context
        return context

    async def process_result(self, request: web.Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        codes = {(error.extensions or {}).get("code") for error in result.errors or ()}
        if "UNAUTHENTICATED" in codes and request[CONTEXT].response is not None:
            request[CONTEXT].response.set_status(401)
            request[CONTEXT].response.headers["WWW-Authenticate"] = 'Bearer realm="analytics-gateway"'
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
