"""Events across replicas through Redis pub/sub, reconnecting by itself.

Every replica keeps one pattern subscription (`<prefix>live:*`) and fans events out to its
own subscribers. Pub/sub keeps no history: after a lost connection the broker reconnects
with backoff and tells every local subscriber to resync (liveMetrics recomputes; booking
events published while it was away are not replayed).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import suppress

from redis.asyncio import Redis
from redis.exceptions import RedisError

from live.events import LiveEvent
from live.inbox import FanOut, Inbox

log = logging.getLogger("gateway.live")
FIRST_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 5.0
IDLE_SECONDS = 5


class RedisBroker:
    def __init__(self, url: str, prefix: str, capacity: int = 1000, publisher: Redis | None = None) -> None:
        self.fanout = FanOut(capacity)
        self.prefix = prefix
        self.url = url
        # publishing shares the app's client; listening needs its own connection without a read timeout
        self.publisher = publisher or Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._owns_publisher = publisher is None
        # named, so operators (and the tests) can find it in CLIENT LIST
        self.client_name = f"{prefix}live-listener-{uuid.uuid4().hex[:8]}"
        self.listener = Redis.from_url(
            url, socket_connect_timeout=2, health_check_interval=IDLE_SECONDS, client_name=self.client_name
        )
        self.connected = asyncio.Event()
        self.reconnects = 0
        self.publish_failures = 0
        self._task: asyncio.Task[None] | None = None
        self._backoff = FIRST_BACKOFF_SECONDS

    def channel(self, tenant_id: str) -> str:
        return f"{self.prefix}live:{tenant_id}"

    async def publish(self, tenant_id: str, event: LiveEvent) -> None:
        """Through Redis to every replica (this one included). If Redis fails, this replica's
        own subscribers still get the event; the others resync when Redis is back."""
        if event.tenant_id != tenant_id:
            raise ValueError(f"event of tenant {event.tenant_id!r} published for {tenant_id!r}")
        try:
            await self.publisher.publish(self.channel(tenant_id), event.encode())
        except (RedisError, OSError) as error:
            self.publish_failures += 1
            log.warning("live event not published to Redis (%s); delivered on this replica only", error)
            self.fanout.deliver(event)

    def subscribe(self, tenant_id: str, coalesce: bool = False) -> Inbox:
        return self.fanout.open(tenant_id, coalesce)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="live-redis-listener")
        # serve at once even if Redis is down; the listener keeps trying
        with suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), timeout=2)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        await self.listener.aclose()
        if self._owns_publisher:
            await self.publisher.aclose()

    def status(self) -> dict[str, object]:
        return {
            "broker": "redis",
            "connected": self.connected.is_set(),
            "reconnects": self.reconnects,
            "publishFailures": self.publish_failures,
            "subscribers": self.fanout.count(),
        }

    async def _listen_forever(self) -> None:
        resync = False
        while True:
            try:
                await self._listen(resync)
            except (RedisError, OSError) as error:
                if self._backoff == FIRST_BACKOFF_SECONDS:  # once per outage
                    log.warning("live listener lost Redis (%s); reconnecting", error)
            resync = True
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, MAX_BACKOFF_SECONDS)

    async def _listen(self, resync: bool) -> None:
        pubsub = self.listener.pubsub()
        try:
            await pubsub.psubscribe(f"{self.prefix}live:*")
            while True:
                # a bounded wait, so an idle connection is PINGed and a dead one noticed
                message = await pubsub.get_message(timeout=IDLE_SECONDS)
                if message is None:
                    continue
                if message["type"] == "psubscribe":
                    self._connected(resync)
                elif message["type"] == "pmessage":
                    self._deliver(message["data"])
        finally:
            self.connected.clear()
            with suppress(Exception):
                await pubsub.aclose()

    def _connected(self, resync: bool) -> None:
        self.connected.set()
        self._backoff = FIRST_BACKOFF_SECONDS
        if resync:
            self.reconnects += 1
            log.info("live listener reconnected to Redis; subscribers resync")
            self.fanout.resync_all()

    def _deliver(self, data: bytes) -> None:
        try:
            event = LiveEvent.decode(data)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed live event on Redis")
            return
        self.fanout.deliver(event)
