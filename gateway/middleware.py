"""Every response carries X-Request-Id and X-Response-Time; unexpected errors are masked."""

from __future__ import annotations

import logging
import re
import os
import time

from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger("gateway.http")
REQUEST_ID = web.RequestKey("request_id", str)
# a client-chosen id is echoed only if it is short and harmless in logs
SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@web.middleware
async def request_meta(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    incoming = request.headers.get("X-Request-Id", "")
    request_id = incoming if SAFE_ID.fullmatch(incoming) else os.urandom(16).hex()  # a uuid4's size, cheaper
    request[REQUEST_ID] = request_id
    try:
        response = await handler(request)
    except web.HTTPException as error:
        _stamp(error, request_id, started)
        raise
    except Exception:
        log.exception("unhandled error in request %s %s (request id %s)", request.method, request.path, request_id)
        response = web.json_response(
            {"errors": [{"message": f"Internal server error (request id {request_id})",
                         "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}}]},
            status=500,
        )
    _stamp(response, request_id, started)
    return response


def _stamp(response: web.StreamResponse, request_id: str, started: float) -> None:
    response.headers["X-Request-Id"] = request_id
    response.headers["X-Response-Time"] = f"{(time.perf_counter() - started) * 1000:.1f}ms"
