"""Live subscriptions: how many one server process holds, memory each, delivery delay.

    .venv/bin/python bench/live.py [--counts 1000,10000] [--rounds 10] [--per-connection 1]
                                   [--client lean|aiohttp] [--redis URL]

Starts `analytics-gateway serve` in its own process on a small seeded SQLite store, opens
bookingEvents subscriptions over graphql-transport-ws (all asking the same, on one tenant),
then ingests one booking per round through the recordBookings mutation and times each
delivery against the mutation's acknowledgement. The default client reads raw sockets in
callbacks and times a frame when its bytes arrive (`--client aiohttp` uses aiohttp's
WebSocket client, one reader task per connection, whose own cost then shows in the figures).
The first measurement, with one subscriber, is the baseline of the same run; the server's
memory (VmRSS) is read before and after, its CPU time (user + system, not wall: the machine
may be shared) per event, and its own fan-out time from GET /metrics.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.database import create_engine  # noqa: E402
from demo.seeding import seed_store  # noqa: E402
from gateway.settings import Settings  # noqa: E402

SECRET = "bench-secret-that-is-long-enough-for-hs256-0123456789"
TENANT = "t01-hotel-limmat-zurich"
SUBSCRIBE = "subscription { bookingEvents { bookingRef } }"
RECORD = "mutation($items: [BookingInput!]!) { recordBookings(items: $items) { inserted } }"


def _jwt(subject: str, scope: str) -> str:
    import jwt

    now = int(time.time())
    claims = {"sub": subject, "tier": "PROFESSIONAL", "tenants": [TENANT], "iat": now, "exp": now + 7200, "scope": scope}
    return jwt.encode(claims, SECRET, algorithm="HS256")


class Fleet:
    """Subscribers on raw WebSockets; each notes when each booking reference reached it."""

    def __init__(self, url: str, per_connection: int) -> None:
        self.url = url
        self.per_connection = per_connection
        # no connector limit: each WebSocket holds its connection for good
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None), connector=aiohttp.TCPConnector(limit=0))
        self.arrivals: dict[str, list[float]] = {}
        self.subscriptions = 0
        self.readers: list[asyncio.Task[None]] = []
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []

    async def grow(self, total: int, settled: Callable[[int], Awaitable[None]]) -> None:
        """Opens connections 100 at a time, each batch once the server holds the previous one
        (a subscription's start reads its tenant: a flood would only queue on the pool)."""
        while self.subscriptions < total:
            batch = min(100, (total - self.subscriptions + self.per_connection - 1) // self.per_connection)
            await asyncio.gather(*(self._connect(len(self.sockets) + i) for i in range(batch)))
            await settled(self.subscriptions)

    async def _connect(self, number: int) -> None:
        ws = await self.http.ws_connect(self.url, protocols=["graphql-transport-ws"], heartbeat=None, max_msg_size=0)
        await ws.send_str(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {_jwt(f'bench-{number}', 'read')}"}}))
        ack = await ws.receive_json()
        assert ack["type"] == "connection_ack", ack
        for op in range(self.per_connection):
            await ws.send_str(json.dumps({"type": "subscribe", "id": str(op), "payload": {"query": SUBSCRIBE}}))
        self.sockets.append(ws)
        self.subscriptions += self.per_connection
        self.readers.append(asyncio.create_task(self._read(ws)))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            now = time.perf_counter()
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            # the reference is the only quoted value after "bookingRef"; no full JSON parse
            text = message.data
            at = text.find('"bookingRef":"')
            if at >= 0:
                start = at + len('"bookingRef":"')
                self.arrivals.setdefault(text[start:text.index('"', start)], []).append(now)
            elif '"type":"error"' in text:
                print("subscription refused:", text[:300], file=sys.stderr)

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        for ws in self.sockets:
            await ws.close()
        await self.http.close()


def _client_frame(text: str) -> bytes:
    """A masked client text frame (RFC 6455)."""
    payload, mask = text.encode(), os.urandom(4)
    size = len(payload)
    if size < 126:
        header = bytes([0x81, 0x80 | size])
    elif size < 65536:
        header = bytes([0x81, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        header = bytes([0x81, 0x80 | 127]) + size.to_bytes(8, "big")
    return header + mask + bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))


class _LeanSubscriber(asyncio.Protocol):
    """One connection read by a callback, not a task: frames are timed as the bytes arrive,
    so the client's own cost (a task wake-up and a message object per frame) stays out of
    the figures."""

    MARK = b'"bookingRef":"'

    def __init__(self, fleet: LeanFleet, host: str, number: int) -> None:
        self.fleet, self.host, self.number = fleet, host, number
        self.buffer = b""
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(  # type: ignore[union-attr]
            f"GET /graphql HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        if not self.upgraded:
            head, found, rest = self.buffer.partition(b"\r\n\r\n")
            if not found:
                return
            assert head.startswith(b"HTTP/1.1 101"), head[:200]
            self.upgraded, self.buffer = True, rest
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {_jwt(f'bench-{self.number}', 'read')}"}}
            frames = [_client_frame(json.dumps(init))] + [
                _client_frame(json.dumps({"type": "subscribe", "id": str(op), "payload": {"query": SUBSCRIBE}}))
                for op in range(self.fleet.per_connection)
            ]
            self.transport.write(b"".join(frames))  # type: ignore[union-attr]
        self._frames(now)

    def _frames(self, now: float) -> None:
        buffer = self.buffer
        while len(buffer) >= 2:
            size, start = buffer[1] & 0x7F, 2
            if size == 126:
                if len(buffer) < 4:
                    break
                size, start = int.from_bytes(buffer[2:4], "big"), 4
            elif size == 127:
                if len(buffer) < 10:
                    break
                size, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + size:
                break
            payload = buffer[start:start + size]
            buffer = buffer[start + size:]
            at = payload.find(self.MARK)
            if at >= 0:
                begin = at + len(self.MARK)
                ref = payload[begin:payload.index(b'"', begin)].decode()
                self.fleet.arrivals.setdefault(ref, []).append(now)
            elif b'"type":"error"' in payload:
                print("subscription refused:", payload[:300], file=sys.stderr)
        self.buffer = buffer


class LeanFleet:
    """Subscribers on raw sockets read by callbacks (the default client)."""

    def __init__(self, url: str, per_connection: int) -> None:
        parts = url.split("/")[2].split(":")
        self.host, self.port = parts[0], int(parts[1])
        self.per_connection = per_connection
        self.arrivals: dict[str, list[float]] = {}
        self.subscriptions = 0
        self.transports: list[asyncio.BaseTransport] = []

    async def grow(self, total: int, settled: Callable[[int], Awaitable[None]]) -> None:
        loop = asyncio.get_running_loop()
        while self.subscriptions < total:
            batch = min(100, (total - self.subscriptions + self.per_connection - 1) // self.per_connection)
            first = len(self.transports)
            opened = await asyncio.gather(*(
                loop.create_connection(lambda n=first + i: _LeanSubscriber(self, f"{self.host}:{self.port}", n),
                                       self.host, self.port)
                for i in range(batch)
            ))
            self.transports += [transport for transport, _ in opened]
            self.subscriptions += batch * self.per_connection
            await settled(self.subscriptions)

    async def close(self) -> None:
        for transport in self.transports:
            transport.close()


async def subscribers_on_server(http: aiohttp.ClientSession, base: str) -> int:
    async with http.get(f"{base}/ready") as response:
        return (await response.json())["live"]["subscribers"]


async def settle(http: aiohttp.ClientSession, base: str, count: int) -> None:
    while await subscribers_on_server(http, base) < count:
        await asyncio.sleep(0.1)


async def measure(fleet: Fleet | LeanFleet, http: aiohttp.ClientSession, base: str, rounds: int, label: str) -> dict[str, float]:
    await settle(http, base, fleet.subscriptions)
    headers = {"Authorization": f"Bearer {_jwt('bench-writer', 'read ingest')}"}
    delays_ack: list[float] = []
    delays_send: list[float] = []
    for round_ in range(rounds):
        ref = f"bench-{label}-{round_}-{time.time_ns()}"
        item = {
            "bookingRef": ref, "bookedAt": datetime.now(UTC).isoformat(), "customerId": "bench", "checkIn": date.today().isoformat(),
            "nights": 1, "rooms": 1, "amount": "100.00", "currency": "CHF", "status": "CONFIRMED", "channel": "direct",
        }
        sent = time.perf_counter()
        async with http.post(f"{base}/graphql", json={"query": RECORD, "variables": {"items": [item]}}, headers=headers) as response:
            body = await response.json()
        acked = time.perf_counter()
        assert body.get("data", {}).get("recordBookings", {}).get("inserted") == 1, body
        deadline = time.monotonic() + 60
        while len(fleet.arrivals.get(ref, ())) < fleet.subscriptions and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        arrivals = fleet.arrivals.pop(ref, [])
        if len(arrivals) < fleet.subscriptions:
            print(f"  round {round_}: only {len(arrivals)} of {fleet.subscriptions} deliveries within 60 s", file=sys.stderr)
        delays_ack += [(t - acked) * 1000 for t in arrivals]
        delays_send += [(t - sent) * 1000 for t in arrivals]
        await asyncio.sleep(0.2)
    return {
        "p50_ack": percentile(delays_ack, 50), "p99_ack": percentile(delays_ack, 99),
        "p50_send": percentile(delays_send, 50), "p99_send": percentile(delays_send, 99),
        "deliveries": len(delays_ack),
    }


async def fanout_totals(http: aiohttp.ClientSession, base: str) -> tuple[float, float]:
    """The server's own time handing rendered pushes to members: (seconds, fan-outs) so far."""
    async with http.get(f"{base}/metrics") as response:
        text = await response.text()
    found = {"sum": 0.0, "count": 0.0}
    for line in text.splitlines():
        for kind in found:
            if line.startswith(f"gateway_live_fanout_seconds_{kind} "):
                found[kind] = float(line.split()[1])
    return found["sum"], found["count"]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def cpu_seconds(pid: int) -> float:
    """The server's user + system CPU time so far (not wall time: the machine may be shared)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def seed(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        await seed_store(engine, progress=False, tenants=3, days=30, seed=7, end=date.today())
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace) -> None:
    directory = Path(tempfile.mkdtemp(prefix="bench-live-"))
    url = f"sqlite+aiosqlite:///{directory}/bench.db"
    await seed(url)
    port = args.port
    tiers = directory / "tiers.toml"  # the benchmark's principals may hold what one connection carries
    tiers.write_text(f"[PROFESSIONAL]\nmax_subscriptions = {max(args.per_connection, 1)}\n")
    env = {**os.environ, "DATABASE_URL": url, "JWT_SECRET": SECRET, "PORT": str(port), "LOG_LEVEL": "WARNING",
           "LIVE_QUEUE_SIZE": "1000", "TIERS_FILE": str(tiers)}
    if args.redis:
        env["REDIS_URL"] = args.redis
        env["LIVE_PREFIX"] = f"bench-{time.time_ns()}:"
    prelude = f"import gc; gc.set_threshold({args.gc_threshold}); " if args.gc_threshold else ""
    command = [sys.executable, args.server_script] if args.server_script else [
        sys.executable, "-c", prelude + "from gateway.cli import main; raise SystemExit(main(['serve']))"]
    server = subprocess.Popen(command,
                              env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    http = aiohttp.ClientSession()
    fleet_class = LeanFleet if args.client == "lean" else Fleet
    fleet = fleet_class(f"ws://127.0.0.1:{port}/graphql", args.per_connection)
    try:
        for _ in range(100):
            try:
                await subscribers_on_server(http, base)
                break
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        idle = rss_kib(server.pid)
        counts = [1] + [int(n) for n in args.counts.split(",")]
        results = {}
        for count in counts:
            started = time.perf_counter()
            await fleet.grow(count, lambda n: settle(http, base, n))
            opened = time.perf_counter() - started
            spent, fanouts = await fanout_totals(http, base)
            cpu = cpu_seconds(server.pid)
            result = await measure(fleet, http, base, args.rounds, str(count))
            # the measurement pauses 0.2 s per round; an idle server spends next to nothing meanwhile
            result["cpu_ms"] = (cpu_seconds(server.pid) - cpu) / args.rounds * 1000
            spent_after, fanouts_after = await fanout_totals(http, base)
            result["fanout_ms"] = (spent_after - spent) / max(fanouts_after - fanouts, 1) * 1000
            rss = rss_kib(server.pid)
            result["rss_mib"] = rss / 1024
            result["kib_per_sub"] = (rss - idle) / max(fleet.subscriptions, 1)
            result["open_s"] = opened
            results[fleet.subscriptions] = result
            print(f"{fleet.subscriptions:>6} subscriptions ({args.per_connection}/connection): "
                  f"ack->delivery p50 {result['p50_ack']:.1f} ms p99 {result['p99_ack']:.1f} ms; "
                  f"send->delivery p50 {result['p50_send']:.1f} ms p99 {result['p99_send']:.1f} ms; "
                  f"server RSS {result['rss_mib']:.0f} MiB ({result['kib_per_sub']:.1f} KiB per subscription); "
                  f"opened in {opened:.1f} s; {result['deliveries']} deliveries; "
                  f"server per event: fan-out {result['fanout_ms']:.1f} ms (wall), CPU {result['cpu_ms']:.0f} ms", flush=True)
        base_p99 = results[1]["p99_send"]
        for subs, result in results.items():
            if subs > 1:
                print(f"p99 send->delivery at {subs} vs 1 subscriber: x{result['p99_send'] / base_p99:.1f}")
    finally:
        await fleet.close()
        await http.close()
        server.terminate()
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            print("the server did not stop within 120 s of SIGTERM; killed", file=sys.stderr)
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", default="1000,10000")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-connection", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--client", choices=["lean", "aiohttp"], default="lean",
                        help="lean: raw sockets read by callbacks, timed as bytes arrive; aiohttp: its WebSocket client")
    parser.add_argument("--server-script", default=None, help="experiment: run the server by this script (a profiler)")
    parser.add_argument("--gc-threshold", default=None, help="experiment: the server's gc.set_threshold arguments")
    parser.add_argument("--redis", default=None, help="a REDIS_URL: deliver through Redis pub/sub")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
