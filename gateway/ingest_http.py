"""POST /ingest/{pageviews|bookings|surveys|fx}: NDJSON or CSV bodies, streamed, one IngestResult.

Authenticated like /graphql. Status codes: 200 after the commit; 400 with the IngestResult
when nothing was stored (invalid items without `partial`), or with an error when the body
as a whole is unreadable; 401, 403 (scope or tenant), 413 (body over INGEST_MAX_BODY_BYTES),
415 (content type), 429 (write budget), 503 with Retry-After (write queue full, shutting down).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from auth.limits import Budget, write_budget_headers, write_limited
from auth.principal import Principal
from auth.scope import writable_tenant_id
from core.errors import ApiError, BadUserInput, Forbidden, RateLimited, ServiceUnavailable, Unauthenticated
from core.vocabulary import Scope
from gateway import appkeys
from gateway.view import error_response, principal_of
from ingest.bulk import ingest_stream
from ingest.formats import BadBody, UnsupportedType, reader_for
from ingest.kinds import Kind
from ingest.queue import QueueFull
from ingest.service import UnknownTenant

READ_BYTES = 256 * 1024  # about 1,300 pageviews: a few ms of validation per turn of the loop


class BodyTooLarge(Exception):
    pass


def add_ingest_routes(app: web.Application) -> None:
    app.router.add_post(r"/ingest/{kind:pageviews|bookings|surveys|fx}", ingest_handler)


async def ingest_handler(request: web.Request) -> web.StreamResponse:
    kind = Kind(request.match_info["kind"])
    try:
        principal = await _principal(request)
    except Unauthenticated as error:
        return error_response(request, error)
    except RateLimited as error:
        return _retry_later(request, error, 429)
    except ServiceUnavailable as error:
        return error_response(request, error, status=503)
    try:
        return await _ingest(request, kind, principal)
    except Forbidden as error:
        return error_response(request, error, status=403)
    except BadUserInput as error:
        return error_response(request, error, status=400)
    except BadBody as error:
        return error_response(request, BadUserInput(str(error)), status=415 if isinstance(error, UnsupportedType) else 400)
    except BodyTooLarge:
        limit = request.app[appkeys.SETTINGS].ingest_max_body_bytes
        return error_response(request, BadUserInput(f"the body is larger than {limit} bytes; split it"), status=413)
    except QueueFull as error:
        return _retry_later(request, ServiceUnavailable(error.reason, retryAfter=error.retry_after), 503)
    except RateLimited as error:
        return _retry_later(request, error, 429)


async def _principal(request: web.Request) -> Principal:
    principal = await principal_of(request)
    if principal is None:
        raise Unauthenticated("authentication required: send `Authorization: Bearer <token>` or `X-API-Key: <key>`")
    return principal


async def _ingest(request: web.Request, kind: Kind, principal: Principal) -> web.StreamResponse:
    scope = Scope.INGEST if kind.per_tenant else Scope.ADMIN
    if not principal.has_scope(scope):
        raise Forbidden(f"writing {kind.value} needs the `{scope.value}` scope", requiredScope=scope.value)
    tenant_id = writable_tenant_id(principal, request.query.get("tenant")) if kind.per_tenant else None
    partial = _flag(request.query.get("partial", "false"))
    reader = reader_for(request.content_type, kind)
    limit = request.app[appkeys.SETTINGS].ingest_max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge()
    ingestor = request.app[appkeys.INGEST]
    charged: list[Budget] = []

    async def charge(rows: int) -> None:
        budget = await request.app[appkeys.LIMITS].charge_rows(principal, rows)
        charged.append(budget)
        if not budget.admitted:
            raise write_limited(budget)

    async with ingestor.queue.admit():
        try:
            body = _body(request, limit, ingestor.queue.closing)
            outcome = await ingest_stream(ingestor, kind, tenant_id, reader, body, partial, charge)
        except UnknownTenant as error:
            raise BadUserInput(str(error), "tenant") from None
        finally:
            headers = write_budget_headers(charged[0]) if charged else {}
    status = 400 if outcome.errors and outcome.stored_nothing and not outcome.duplicates else 200
    return web.json_response(outcome.as_json(), status=status, headers=headers)


async def _body(request: web.Request, limit: int, closing: asyncio.Event) -> AsyncIterator[bytes]:
    """The body as it arrives, unless shutdown starts first.

    Once shutdown starts aiohttp stops reading from open connections, so a body still
    arriving would never end: it is refused (503, nothing stored) instead. A body received
    in full goes on to its commit and its answer.
    """
    received = 0
    stop = asyncio.ensure_future(closing.wait())
    try:
        while True:
            # bounded reads, and a turn for the loop between them: validating a chunk is CPU work
            await asyncio.sleep(0)
            read = asyncio.ensure_future(request.content.read(READ_BYTES))
            await asyncio.wait((read, stop), return_when=asyncio.FIRST_COMPLETED)
            if not read.done():
                read.cancel()
                raise QueueFull("the gateway is shutting down; send the body again", 1)
            chunk = read.result()
            if not chunk:
                return
            received += len(chunk)
            if received > limit:
                raise BodyTooLarge()
            yield chunk
    finally:
        stop.cancel()


def _flag(value: str) -> bool:
    if value.lower() not in ("true", "false", "1", "0"):
        raise BadUserInput("`partial` must be true or false", "partial")
    return value.lower() in ("true", "1")


def _retry_later(request: web.Request, error: ApiError, status: int) -> web.Response:
    return error_response(request, error, status=status, headers={"Retry-After": str(error.extensions.get("retryAfter", 1))})
