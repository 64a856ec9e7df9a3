"""Open WebSockets keep being checked: a revoked (or otherwise refused) credential closes them.

A connection authenticates once, at `connection_init`. Keys are revoked in the shared store
(`keys revoke`, from any host), so every replica re-verifies the credentials of its open
connections every LIVE_RECHECK_SECONDS, once per distinct credential, and closes the
connections of any that no longer verifies with 4403, which ends their subscriptions. A store
outage proves nothing either way: connections stay open and the next round checks again.
(A credential's own expiry closes its connections on the dot, see `close_at`.)
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Mapping

from aiohttp import web

from auth.authenticator import Authenticator
from auth.credentials import Credential, find_credential
from core.errors import ServiceUnavailable, Unauthenticated
from core.tasks import cancelled
from gateway.websocket import FORBIDDEN, close_reason
from loaders.service import DataService

log = logging.getLogger("gateway.auth")
YIELD_EVERY = 100  # credentials verified between two returns to the event loop


class CredentialWatch:
    def __init__(self, authenticator: Authenticator, data: DataService, interval: float) -> None:
        self.authenticator = authenticator
        self.data = data
        self.interval = interval
        self.closed = 0  # connections closed because their credential no longer verifies
        self._sockets: dict[Credential, weakref.WeakSet[web.WebSocketResponse]] = {}
        self._task: asyncio.Task[None] | None = None

    def add(self, ws: web.WebSocketResponse, params: Mapping[str, object]) -> None:
        """A connection whose `connection_init` payload verified."""
        credential = find_credential(params)
        if credential is not None:
            self._sockets.setdefault(credential, weakref.WeakSet()).add(ws)

    async def check(self) -> None:
        for number, (credential, sockets) in enumerate(list(self._sockets.items()), 1):
            if number % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # thousands of tokens to verify must not stall deliveries
            open_ = [ws for ws in sockets if not ws.closed]
            if not open_:
                del self._sockets[credential]
                continue
            try:
                await self.authenticator.verify(self.data.engine, credential, self.data.health)
            except ServiceUnavailable:
                continue
            except Unauthenticated as refusal:
                del self._sockets[credential]
                self.closed += len(open_)
                log.info("closing %d WebSocket(s) whose credential no longer verifies", len(open_))
                reason = close_reason(refusal.message).encode()
                await asyncio.gather(*(ws.close(code=FORBIDDEN, message=reason) for ws in open_), return_exceptions=True)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._watch_forever(), name="credential-watch")

    async def close(self) -> None:
        await cancelled(self._task)

    async def _watch_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # noqa: BLE001 - the next round tries again
                log.exception("re-checking WebSocket credentials failed")
