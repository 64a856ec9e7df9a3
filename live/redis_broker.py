"""Events across replicas through one Redis stream, resuming where each replica left off.

Writers append each event to the stream `<prefix>live-events` (XADD, trimmed to about
STREAM_MAXLEN entries). Every replica reads it with a blocking XREAD from the last entry id it
saw and fans the events out to its own subscribers. So:

- a replica whose connection to Redis was lost reconnects with backoff and reads on from its
  last id: what was written meanwhile arrives late, once, in order;
- a writer that cannot reach Redis delivers the event to its own subscribers at once and keeps
  it (at most REPLAY_LIMIT events) to append, in order, as soon as Redis answers again; the
  other replicas then read it, and this one drops its own copy by the event's id.

Only what Redis itself loses is lost: a restarted Redis without persistence, or entries trimmed
before a long-gone replica read them. The replica notices both (a new server run id, or a
trimmed entry past its last id), logs it and tells every local subscriber to resync
(liveMetrics recomputes).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from contextlib import suppress

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.tasks import cancelled
from live.events import LiveEvent
from live.inbox import FanOut, Inbox

log = logging.getLogger("gateway.live")
FIRST_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 5.0
IDLE_SECONDS = 5
STREAM_MAXLEN = 100_000  # about a minute of a heavy import; XADD trims approximately
STREAM_TTL_SECONDS = 86_400  # a stream nobody writes to for a day goes away
REPLAY_LIMIT = 4096  # events kept by a writer while Redis fails (FanOut remembers as many ids)
READ_COUNT = 1000


class RedisBroker:
    def __init__(self, url: str, prefix: str, capacity: int = 1000, publisher: Redis | None = None) -> None:
        self.fanout = FanOut(capacity)
        self.prefix = prefix
        self.url = url
        self.stream = f"{prefix}live-events"
        # writing shares the app's client; reading blocks, so it has its own connection
        self.publisher = publisher or Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._owns_publisher = publisher is None
        # named, so operators (and the tests) can find it in CLIENT LIST
        self.client_name = f"{prefix}live-listener-{uuid.uuid4().hex[:8]}"
        # XREAD blocks up to IDLE_SECONDS: the socket must wait longer than that for its answer
        self.listener = Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=IDLE_SECONDS + 5, health_check_interval=IDLE_SECONDS,
            client_name=self.client_name,
        )
        self.connected = asyncio.Event()
        self.reconnects = 0
        self.publish_failures = 0
        self.replayed = 0  # events appended late, after Redis came back
        self.dropped = 0  # events a writer could not keep for replay (more than REPLAY_LIMIT waited)
        self.last_id: bytes | None = None  # the last stream entry read; None before the first connection
        self._run_id: str | None = None
        self._pending: deque[LiveEvent] = deque()
        self._task: asyncio.Task[None] | None = None
        self._replaying: asyncio.Task[None] | None = None
        self._backoff = FIRST_BACKOFF_SECONDS

    async def publish(self, tenant_id: str, event: LiveEvent) -> None:
        """Through Redis to every replica (this one included). If Redis fails, this replica's
        own subscribers get the event at once; the others get it when Redis is back."""
        if event.tenant_id != tenant_id:
            raise ValueError(f"event of tenant {event.tenant_id!r} published for {tenant_id!r}")
        if self._pending:  # behind the events waiting for Redis, in order
            self._keep(event)
            return
        try:
            await self._append(event)
        except (RedisError, OSError) as error:
            self.publish_failures += 1
            log.warning("live event not published to Redis (%s); delivered here, replayed when Redis is back", error)
            self._keep(event)

    def subscribe(self, tenant_id: str, coalesce: bool = False) -> Inbox:
        return self.fanout.open(tenant_id, coalesce)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="live-redis-listener")
        # serve at once even if Redis is down; the listener keeps trying
        with suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), timeout=2)

    async def close(self) -> None:
        for task in (self._task, self._replaying):
            await cancelled(task)
        await self.listener.aclose()
        if self._owns_publisher:
            await self.publisher.aclose()

    def status(self) -> dict[str, object]:
        return {
            "broker": "redis",
            "connected": self.connected.is_set(),
            "reconnects": self.reconnects,
            "publishFailures": self.publish_failures,
            "waitingForRedis": len(self._pending),
            "replayed": self.replayed,
            "dropped": self.dropped,
            "subscribers": self.fanout.count(),
        }

    async def _append(self, event: LiveEvent) -> None:
        async with self.publisher.pipeline(transaction=False) as pipe:
            pipe.xadd(self.stream, {"e": event.encode()}, maxlen=STREAM_MAXLEN, approximate=True)
            pipe.expire(self.stream, STREAM_TTL_SECONDS)
            await pipe.execute()

    def _keep(self, event: LiveEvent) -> None:
        self.fanout.deliver(event)
        if len(self._pending) >= REPLAY_LIMIT:
            self._pending.popleft()
            self.dropped += 1
        self._pending.append(event)
        if self._replaying is None or self._replaying.done():
            self._replaying = asyncio.create_task(self._replay(), name="live-redis-replay")

    async def _replay(self) -> None:
        """Appends the kept events, oldest first, once Redis answers (retried with backoff).
        An append that reached Redis but failed to answer is appended again: readers drop the
        repeat by its id."""
        backoff = FIRST_BACKOFF_SECONDS
        while self._pending:
            try:
                await self._append(self._pending[0])
            except (RedisError, OSError):
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            self._pending.popleft()
            self.replayed += 1
        if self.dropped:
            log.warning("%d live events could not be kept while Redis failed; other replicas missed them", self.dropped)

    async def _listen_forever(self) -> None:
        while True:
            try:
                await self._listen()
            except (RedisError, OSError) as error:
                if self._backoff == FIRST_BACKOFF_SECONDS:  # once per outage
                    log.warning("live listener lost Redis (%s); reconnecting", error)
            finally:
                self.connected.clear()
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, MAX_BACKOFF_SECONDS)

    async def _listen(self) -> None:
        await self._connected()
        while True:
            assert self.last_id is not None
            # a bounded wait, so an idle connection is checked and a dead one noticed
            response = await self.listener.xread({self.stream: self.last_id}, count=READ_COUNT, block=IDLE_SECONDS * 1000)
            for _stream, entries in response or ():
                for entry_id, fields in entries:
                    self.last_id = entry_id
                    self._deliver(fields.get(b"e", b""))

    async def _connected(self) -> None:
        """Where to read from: the stream's end on the first connection, else the last id seen."""
        run_id = (await self.listener.info("server"))["run_id"]
        first = self.last_id is None
        if first:
            latest = await self.listener.xrevrange(self.stream, count=1)
            self.last_id = latest[0][0] if latest else b"0-0"
        elif run_id != self._run_id:
            log.warning("live listener reconnected to a restarted Redis; events it lost cannot be replayed")
            self.fanout.resync_all()
        elif await self._trimmed_past_last_id():
            log.warning("live listener was away longer than the stream keeps events; some are lost")
            self.fanout.resync_all()
        self._run_id = run_id
        self.connected.set()
        self._backoff = FIRST_BACKOFF_SECONDS
        if not first:
            self.reconnects += 1
            log.info("live listener reconnected to Redis; reading on from %s", self.last_id)

    async def _trimmed_past_last_id(self) -> bool:
        try:
            info = await self.listener.xinfo_stream(self.stream)
        except RedisError:  # no stream (nothing written since it expired)
            return False
        deleted = info.get("max-deleted-entry-id")
        return deleted is not None and _entry_id(deleted) > _entry_id(self.last_id or b"0-0")

    def _deliver(self, data: bytes) -> None:
        try:
            event = LiveEvent.decode(data)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed live event on Redis")
            return
        self.fanout.deliver(event)


def _entry_id(value: bytes | str) -> tuple[int, int]:
    text = value.decode() if isinstance(value, bytes) else value
    milliseconds, _, sequence = text.partition("-")
    return int(milliseconds), int(sequence or 0)
