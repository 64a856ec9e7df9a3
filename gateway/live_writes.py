"""The bridge from ingestion to the live broker: every committed write becomes a live event."""

from __future__ import annotations

from datetime import UTC

from ingest.notify import BookingChange as StoredBooking
from ingest.notify import Written
from live.broker import Broker
from live.events import ALL_TENANTS, BookingChange, LiveEvent


def booking_change(stored: StoredBooking) -> BookingChange:
    booked_at = stored.booked_at if stored.booked_at.tzinfo else stored.booked_at.replace(tzinfo=UTC)
    return BookingChange(
        booking_ref=stored.booking_ref,
        booked_at=booked_at,
        status=stored.status,
        amount=stored.amount,
        currency=stored.currency,
        channel=stored.channel,
    )


def publisher(broker: Broker):  # type: ignore[no-untyped-def]
    """A write listener publishing what the write stored (fx rates: to every tenant)."""

    async def publish(written: Written) -> None:
        if written.inserted == 0 and written.updated == 0:
            return  # a replay changed nothing: nothing to push
        tenant_id = written.tenant_id or ALL_TENANTS
        event = LiveEvent(tenant_id=tenant_id, bookings=tuple(booking_change(b) for b in written.bookings))
        await broker.publish(tenant_id, event)

    return publish
