"""Real app instances on real ports and a real GraphQL WebSocket client (gql) for live tests."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from gateway import appkeys
from gateway.app import create_app
from gateway.settings import Settings
from live.events import BookingChange, LiveEvent
from tests.conftest import SECRET, make_token

TENANT = "t01-hotel-limmat-zurich"  # CHF
OTHER = "t02-bergresort-kitzbuhel"  # EUR
PROTOCOLS = [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL]

BOOKING_EVENTS = "subscription($t: ID) { bookingEvents(tenantId: $t) { tenantId bookingRef bookedAt status channel amount { amount currency } } }"
LIVE_METRICS = "subscription($t: ID, $r: DateRange!) { liveMetrics(tenantId: $t, range: $r) { bookings revenue { amount currency } } }"


def bearer(tenants: list[str] | None = None, tier: str = "PROFESSIONAL", **claims: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(tenants or [TENANT], tier, **claims)}"}


def copy_store(demo_url: str, directory: Path) -> str:
    """A writable copy of the session's SQLite demo store."""
    source = Path(demo_url.split("///", 1)[1])
    target = directory / f"live-{uuid.uuid4().hex[:6]}.db"
    shutil.copy(source, target)
    return f"sqlite+aiosqlite:///{target}"


def settings(database_url: str, redis_url: str | None = None, prefix: str | None = None, **extra: Any) -> Settings:
    return Settings(
        database_url=database_url,
        jwt_secret=SECRET,
        redis_url=redis_url,
        live_prefix=prefix or f"test-{uuid.uuid4().hex[:8]}:",
        **extra,
    )


async def start(aiohttp_server: Any, config: Settings) -> Any:
    return await aiohttp_server(create_app(config))


def ws_url(server: Any) -> str:
    return f"ws://127.0.0.1:{server.port}/graphql"


def transport(server: Any, payload: dict[str, str] | None, protocol: str = PROTOCOLS[0]) -> WebsocketsTransport:
    return WebsocketsTransport(url=ws_url(server), init_payload=payload or {}, subprotocols=[protocol], ack_timeout=5)


@asynccontextmanager
async def session(server: Any, payload: dict[str, str] | None, protocol: str = PROTOCOLS[0]) -> AsyncIterator[Any]:
    async with Client(transport=transport(server, payload, protocol)) as client_session:
        yield client_session


def request(document: str, **variables: Any) -> GraphQLRequest:
    return GraphQLRequest(document, variable_values=variables)


class Collector:
    """Runs one subscription in a task and keeps what arrives."""

    def __init__(self, client_session: Any, query: GraphQLRequest) -> None:
        self.items: list[dict[str, Any]] = []
        self.error: BaseException | None = None
        self.arrived = asyncio.Event()
        self.task = asyncio.create_task(self._run(client_session, query))

    async def _run(self, client_session: Any, query: GraphQLRequest) -> None:
        try:
            async for item in client_session.subscribe(query):
                self.items.append(item)
                self.arrived.set()
        except Exception as error:  # noqa: BLE001 - kept for the test to assert on
            self.error = error
            self.arrived.set()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        async def enough() -> None:
            while len(self.items) < count and self.error is None:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout)
        if self.error is not None and len(self.items) < count:
            raise self.error
        return self.items

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


def booking(
    ref: str, amount: str = "100.00", currency: str = "CHF", status: str = "confirmed", channel: str = "direct"
) -> BookingChange:
    return BookingChange(
        booking_ref=ref,
        booked_at=datetime.now(UTC).replace(microsecond=0),
        status=status,
        amount=Decimal(amount),
        currency=currency,
        channel=channel,
    )


async def subscribed(server: Any, count: int = 1, timeout: float = 5.0) -> None:
    """Until `count` subscribers are registered with the server's broker."""
    groups = server.app[appkeys.LIVE].groups
    deadline = asyncio.get_running_loop().time() + timeout
    while groups.count() < count:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{groups.count()} of {count} subscribers registered")
        await asyncio.sleep(0.02)


async def publish(server: Any, tenant_id: str, *changes: BookingChange) -> LiveEvent:
    """The internal entry point a write uses: the app's broker (until ingestion publishes itself)."""
    event = LiveEvent(tenant_id=tenant_id, bookings=changes)
    await server.app[appkeys.LIVE].broker.publish(tenant_id, event)
    return event


def today_range() -> dict[str, str]:
    """From a day of the demo data (which ends 2026-02-10) to today, so the range is live."""
    return {"from": "2026-01-01", "to": datetime.now(UTC).date().isoformat()}


async def store_booking(server: Any, tenant_id: str, change: BookingChange) -> None:
    """What an ingestion write does to the store (the test's stand-in for recordBookings)."""
    from loaders import tables
    from loaders.bulk_insert import insert_rows

    row = {
        "tenant_id": tenant_id,
        "booking_ref": change.booking_ref,
        "booked_at": change.booked_at.astimezone(UTC).replace(tzinfo=None),
        "customer_id": f"c-{change.booking_ref}",
        "visitor_id": None,
        "check_in": change.booked_at.date(),
        "nights": 2,
        "rooms": 1,
        "amount": change.amount,
        "currency": change.currency,
        "status": change.status,
        "channel": change.channel,
    }
    await insert_rows(server.app[appkeys.DATA].engine, tables.bookings, [row])


RECORD = (
    "mutation($t: ID, $items: [BookingInput!]!) { recordBookings(tenantId: $t, items: $items) "
    "{ inserted updated duplicates errors { message } } }"
)


def booking_input(change: BookingChange) -> dict[str, Any]:
    return {
        "bookingRef": change.booking_ref,
        "bookedAt": change.booked_at.isoformat(),
        "customerId": f"c-{change.booking_ref}",
        "checkIn": change.booked_at.date().isoformat(),
        "nights": 2,
        "rooms": 1,
        "amount": str(change.amount),
        "currency": change.currency,
        "status": change.status.upper(),
        "channel": change.channel,
    }


async def record(server: Any, tenant_id: str, *changes: BookingChange) -> dict[str, Any]:
    """Ingest bookings through the server's recordBookings mutation, as a writer would."""
    headers = bearer([tenant_id], scope="read ingest")
    items = [booking_input(change) for change in changes]
    return (await query(server, RECORD, headers, t=tenant_id, items=items))["recordBookings"]


async def query(server: Any, document: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    """A plain HTTP query to the same app: the oracle for what liveMetrics pushes."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{server.port}/graphql"
        async with http.post(url, json={"query": document, "variables": variables}, headers=headers) as response:
            body = await response.json()
    assert "errors" not in body, body
    return body["data"]
