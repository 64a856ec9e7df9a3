"""After a committed write: one `Written` event to every registered listener.

A listener is an `async def listener(event: Written) -> None`, added with
`app[appkeys.WRITE_LISTENERS].add(listener)` at start-up (a `cleanup_ctx`). Listeners run in
order of registration, after the commit and the data-version bump, before the client gets
its answer: a client that reads right after its write is acknowledged sees its data in
anything the listeners refresh. So a listener must be quick (publish, invalidate, schedule a
task); its exceptions are logged and never fail the write, which is already stored.

`tenant_id` is None for fx rates, which change money figures of every tenant.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

log = logging.getLogger("gateway.ingest")


@dataclass(frozen=True)
class BookingChange:
    """A booking as stored after an insert or an update."""

    booking_ref: str
    booked_at: datetime  # naive UTC
    status: str  # confirmed or cancelled
    amount: Decimal
    currency: str
    channel: str
    inserted: bool  # False: an update of a stored booking


@dataclass(frozen=True)
class Written:
    tenant_id: str | None
    kind: str  # pageviews, bookings, surveys or fx
    inserted: int
    updated: int
    days: frozenset[date]  # UTC days whose rows changed (fx: the rates' days)
    bookings: tuple[BookingChange, ...] = ()
    data_version: int = 0  # the tenant's data version after this write
    extra: dict[str, object] = field(default_factory=dict)


Listener = Callable[[Written], Awaitable[None]]


class WriteListeners:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def add(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    async def emit(self, event: Written) -> None:
        for listener in list(self._listeners):
            try:
                await listener(event)
            except Exception:  # noqa: BLE001 - the write is committed; a listener cannot undo it
                log.exception("write listener %r failed on %s of tenant %s", listener, event.kind, event.tenant_id)
