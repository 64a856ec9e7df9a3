"""Where a subscription's pushes go: its operation on its WebSocket, as ready-made JSON.

The WebSocket edge sets `CURRENT` in each operation's task; a subscription that finds one
sends payloads rendered once for all subscribers alike, instead of running its own GraphQL
execution per event.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol


class Outlet(Protocol):
    # the operation as the client sent it: the render of its selection needs it
    query: str
    variables: dict[str, object] | None
    operation_name: str | None

    def write_now(self, payload: bytes) -> bool:
        """Writes one result at once, without waiting, if the connection keeps up and the
        operation is open; False means nothing was written (the caller queues it for `send`)."""
        ...

    async def send(self, payload: bytes) -> None:
        """Sends one result: `payload` is the UTF-8 JSON of `{"data": ..., "errors": ...}`."""
        ...


CURRENT: ContextVar[Outlet | None] = ContextVar("live_outlet", default=None)
