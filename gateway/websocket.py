"""The WebSocket edge of /graphql: refusals with 4403, closing at credential expiry, shutdown."""

from __future__ import annotations

import asyncio
import weakref
from datetime import UTC, datetime

from aiohttp import WSCloseCode, web
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from core.errors import ApiError

FORBIDDEN = 4403
MAX_REASON_BYTES = 123  # a close frame's reason, by RFC 6455
_closing: set[asyncio.Task[bool]] = set()


class LegacyHandler(BaseGraphQLWSHandler):
    """graphql-ws (legacy): after `connection_error`, close with 4403 as graphql-transport-ws does
    (strawberry would use 1011, which reads as a server fault)."""

    async def send_message(self, message) -> None:  # type: ignore[no-untyped-def]
        await super().send_message(message)
        if message["type"] == "connection_error":
            await self.websocket.close(FORBIDDEN, _reason(str((message.get("payload") or {}).get("message", ""))))


async def reject(ws: web.WebSocketResponse, error: ApiError) -> ConnectionRejectionError:
    """The refusal to raise from on_ws_connect. graphql-transport-ws has no message for it:
    the close reason carries the message. graphql-ws sends `connection_error` with it first."""
    payload = {"message": error.message, "extensions": error.extensions}
    if ws.ws_protocol == GRAPHQL_TRANSPORT_WS_PROTOCOL:
        await ws.close(code=FORBIDDEN, message=_reason(error.message).encode())
    return ConnectionRejectionError(payload)


def close_at(ws: web.WebSocketResponse, expires_at: datetime | None) -> asyncio.TimerHandle | None:
    """Close the connection (and so its subscriptions) with 4403 when its credential expires."""
    if expires_at is None:
        return None
    loop = asyncio.get_running_loop()
    delay = max(0.0, (expires_at - datetime.now(UTC)).total_seconds())

    def expire() -> None:
        closing = loop.create_task(ws.close(code=FORBIDDEN, message=b"credential expired"))
        _closing.add(closing)  # a task nobody references may be collected before it runs
        closing.add_done_callback(_closing.discard)

    return loop.call_later(delay, expire)


def _reason(message: str) -> str:
    encoded = message.encode()[:MAX_REASON_BYTES]
    return encoded.decode(errors="ignore")


class Sockets:
    """Open WebSockets, closed with 1001 (going away) when the app shuts down."""

    def __init__(self) -> None:
        self._open: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

    def add(self, ws: web.WebSocketResponse) -> None:
        self._open.add(ws)

    async def close_all(self) -> None:
        for ws in list(self._open):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
