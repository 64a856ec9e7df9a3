"""The WebSocket edge of /graphql: refusals with 4403, closing at credential expiry, shutdown."""

from __future__ import annotations

import asyncio
import json
import struct
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from core.errors import ApiError
from live.outlet import CURRENT

FORBIDDEN = 4403
MAX_REASON_BYTES = 123  # a close frame's reason, by RFC 6455
# a connection with more than this waiting in its send buffer is behind: pushes queue for it
# (aiohttp's own writer waits for the buffer to drain above the same size)
WRITE_BUFFER_LIMIT = 2**16
_closing: set[asyncio.Task[bool]] = set()


def _text_frame_head(length: int) -> bytes:
    if length < 126:
        return bytes((0x81, length))  # FIN + text, then the length itself
    if length < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, length)
    return struct.pack("!BBQ", 0x81, 127, length)


class OperationOutlet:
    """One operation of one WebSocket: pushes arrive as rendered JSON and are wrapped in the
    protocol's message (`next` or legacy `data`) without parsing or re-encoding them."""

    __slots__ = ("ws", "request", "query", "variables", "operation_name", "_head", "_open")

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, message_type: str, operation_id: str,
                 payload: tuple[str, dict[str, Any] | None, str | None], is_open: Callable[[], bool]) -> None:
        self.ws = ws
        self.request = request
        self.query, self.variables, self.operation_name = payload
        self._head = f'{{"id":{json.dumps(operation_id)},"type":"{message_type}","payload":'.encode()
        self._open = is_open

    def write_now(self, payload: bytes) -> bool:
        transport = self.request.transport
        if (not self._open() or self.ws.closed or transport is None or transport.is_closing()
                or transport.get_write_buffer_size() >= WRITE_BUFFER_LIMIT):
            return False
        # one unmasked, uncompressed text frame (RFC 6455; the server never masks and this
        # response has no permessage-deflate), written whole: frames never interleave
        transport.writelines((_text_frame_head(len(self._head) + len(payload) + 1), self._head, payload, b"}"))
        return True

    async def send(self, payload: bytes) -> None:
        if self._open():  # an operation the client completed gets nothing more
            await self.ws.send_frame(self._head + payload + b"}", WSMsgType.TEXT)


class TransportHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws: each operation's task knows its outlet (live/outlet.py)."""

    async def run_operation(self, operation) -> None:  # type: ignore[no-untyped-def]
        adapter = self.websocket
        payload = (operation.query, operation.variables, operation.operation_name)
        CURRENT.set(OperationOutlet(adapter.ws, adapter.request, "next", operation.id, payload,  # type: ignore[attr-defined]
                                    # the same id reused by a later operation is not this one
                                    lambda: not operation.completed and self.operations.get(operation.id) is operation))
        await super().run_operation(operation)


class LegacyHandler(BaseGraphQLWSHandler):
    """graphql-ws (legacy): after `connection_error`, close with 4403 as graphql-transport-ws does
    (strawberry would use 1011, which reads as a server fault). Each operation knows its outlet."""

    async def send_message(self, message) -> None:  # type: ignore[no-untyped-def]
        await super().send_message(message)
        if message["type"] == "connection_error":
            await self.websocket.close(FORBIDDEN, close_reason(str((message.get("payload") or {}).get("message", ""))))

    async def handle_async_results(self, operation_id: str, query: str, operation_name: str | None,
                                   variables: dict[str, object] | None) -> None:
        adapter = self.websocket
        CURRENT.set(OperationOutlet(adapter.ws, adapter.request, "data", operation_id,  # type: ignore[attr-defined]
                                    (query, variables, operation_name), lambda: operation_id in self.tasks))
        await super().handle_async_results(operation_id, query, operation_name, variables)


async def reject(ws: web.WebSocketResponse, error: ApiError) -> ConnectionRejectionError:
    """The refusal to raise from on_ws_connect. graphql-transport-ws has no message for it:
    the close reason carries the message. graphql-ws sends `connection_error` with it first."""
    payload = {"message": error.message, "extensions": error.extensions}
    if ws.ws_protocol == GRAPHQL_TRANSPORT_WS_PROTOCOL:
        await ws.close(code=FORBIDDEN, message=close_reason(error.message).encode())
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


def close_reason(message: str) -> str:
    encoded = message.encode()[:MAX_REASON_BYTES]
    return encoded.decode(errors="ignore")


class Sockets:
    """Open WebSockets, closed with 1001 (going away) when the app shuts down."""

    def __init__(self) -> None:
        self._open: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

    def add(self, ws: web.WebSocketResponse) -> None:
        self._open.add(ws)

    async def close_all(self) -> None:
        # all at once: each close waits for the client's answer, and thousands may be open
        closing = [ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown") for ws in list(self._open)]
        await asyncio.gather(*closing, return_exceptions=True)
