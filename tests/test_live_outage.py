"""Booking events survive a Redis outage: a real redis-server of the test's own, stopped and
started again while two replicas write and read."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway import appkeys
from tests.live_support import (
    BOOKING_EVENTS,
    TENANT,
    Collector,
    bearer,
    booking,
    copy_store,
    record,
    request,
    session,
    settings,
    start,
    subscribed,
)
from tests.server_process import free_port
from tests.services import unavailable


class RedisServer:
    """A throw-away redis-server without persistence on a free port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:  # a skip outside CI, a failure in it
        unavailable("the redis-server binary", FileNotFoundError("redis-server"))
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_booking_events_written_during_a_redis_outage_arrive_once_when_it_is_back(aiohttp_server, sqlite_demo_url: str, tmp_path: Path, own_redis: RedisServer) -> None:  # type: ignore[no-untyped-def]
    store = copy_store(sqlite_demo_url, tmp_path)
    shared = {"redis_url": own_redis.url, "prefix": "outage:"}
    a = await start(aiohttp_server, settings(store, **shared))
    b = await start(aiohttp_server, settings(store, **shared))
    writer, reader = a.app[appkeys.LIVE].broker, b.app[appkeys.LIVE].broker
    async with session(a, bearer()) as on_a, session(b, bearer()) as on_b:
        near = Collector(on_a, request(BOOKING_EVENTS, t=TENANT))
        far = Collector(on_b, request(BOOKING_EVENTS, t=TENANT))
        await subscribed(a)
        await subscribed(b)
        await record(a, TENANT, booking("BEFORE"))
        await far.wait_for(1)
        own_redis.stop()
        # stored while Redis is down: acknowledged, delivered on A at once, kept for the others
        for name in ("DURING-1", "DURING-2"):
            assert (await record(a, TENANT, booking(name)))["inserted"] == 1
        assert [item["bookingEvents"]["bookingRef"] for item in await near.wait_for(3)] == ["BEFORE", "DURING-1", "DURING-2"]
        await asyncio.sleep(0.3)
        assert len(far.items) == 1 and writer.status()["waitingForRedis"] == 2
        own_redis.start()
        # nobody intervenes: the writer appends what it kept, the reader reconnects and reads on
        far_refs = [item["bookingEvents"]["bookingRef"] for item in await far.wait_for(3, timeout=20)]
        await _until(lambda: reader.connected.is_set() and writer.connected.is_set())
        await record(a, TENANT, booking("AFTER"))
        await far.wait_for(4)
        await near.wait_for(4)
        await asyncio.sleep(0.5)
        await near.stop()
        await far.stop()
    assert far_refs == ["BEFORE", "DURING-1", "DURING-2"]
    # in order, nothing lost, nothing twice, on both replicas
    for collector in (near, far):
        assert [item["bookingEvents"]["bookingRef"] for item in collector.items] == ["BEFORE", "DURING-1", "DURING-2", "AFTER"]
    assert writer.status()["replayed"] == 2 and writer.status()["waitingForRedis"] == 0


async def _until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
