"""The broker interface and its in-process implementation (one replica, no Redis)."""

from __future__ import annotations

from typing import Protocol

from live.events import LiveEvent
from live.inbox import FanOut, Inbox


class Broker(Protocol):
    """Publish events of a tenant; subscribe to them. Subscribing never replays the past."""

    fanout: FanOut

    async def publish(self, tenant_id: str, event: LiveEvent) -> None: ...

    def subscribe(self, tenant_id: str, coalesce: bool = False) -> Inbox: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def status(self) -> dict[str, object]: ...


class InProcessBroker:
    def __init__(self, capacity: int = 1000) -> None:
        self.fanout = FanOut(capacity)

    async def publish(self, tenant_id: str, event: LiveEvent) -> None:
        if event.tenant_id != tenant_id:
            raise ValueError(f"event of tenant {event.tenant_id!r} published for {tenant_id!r}")
        self.fanout.deliver(event)

    def subscribe(self, tenant_id: str, coalesce: bool = False) -> Inbox:
        """An async iterator of the tenant's events from now on; `close()` it when done."""
        return self.fanout.open(tenant_id, coalesce)

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    def status(self) -> dict[str, object]:
        return {"broker": "in-process", "subscribers": self.fanout.count()}
