"""What a committed write announces: the tenant and the bookings it stored or changed."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


# the tenant of an event that concerns every tenant (fx rates move everyone's money figures)
ALL_TENANTS = "*"


@dataclass(frozen=True)
class BookingChange:
    """One booking as stored; `amount` in the booking's own `currency`."""

    booking_ref: str
    booked_at: datetime
    status: str
    amount: Decimal
    currency: str
    channel: str

    def to_json(self) -> dict[str, Any]:
        return {
            "bookingRef": self.booking_ref,
            "bookedAt": self.booked_at.isoformat(),
            "status": self.status,
            "amount": str(self.amount),
            "currency": self.currency,
            "channel": self.channel,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BookingChange:
        return cls(
            booking_ref=data["bookingRef"],
            booked_at=datetime.fromisoformat(data["bookedAt"]),
            status=data["status"],
            amount=Decimal(data["amount"]),
            currency=data["currency"],
            channel=data["channel"],
        )


@dataclass(frozen=True)
class AlertFiring:
    """One new firing of an alert rule (alertFired); `fired_at` naive UTC as stored."""

    rule_id: str
    start: date
    value: float
    fired_at: datetime
    delivery: str

    def to_json(self) -> dict[str, Any]:
        return {"ruleId": self.rule_id, "start": self.start.isoformat(), "value": self.value,
                "firedAt": self.fired_at.isoformat(), "delivery": self.delivery}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AlertFiring:
        return cls(rule_id=data["ruleId"], start=date.fromisoformat(data["start"]), value=float(data["value"]),
                   fired_at=datetime.fromisoformat(data["firedAt"]), delivery=data["delivery"])


@dataclass(frozen=True)
class LiveEvent:
    """New data for one tenant. Pageviews or surveys alone leave `bookings` empty: they still
    move liveMetrics. `id` lets a broker drop a repeat; `published_at` (epoch seconds) is
    when the writer announced it, for measuring delivery delay. An event with `alerts` carries
    alert firings only, no new data: it does not move liveMetrics."""

    tenant_id: str
    bookings: tuple[BookingChange, ...] = ()
    alerts: tuple[AlertFiring, ...] = ()
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    published_at: float = field(default_factory=time.time)

    def encode(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "tenantId": self.tenant_id,
                "publishedAt": self.published_at,
                "bookings": [change.to_json() for change in self.bookings],
                **({"alerts": [firing.to_json() for firing in self.alerts]} if self.alerts else {}),
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, text: str | bytes) -> LiveEvent:
        data = json.loads(text)
        return cls(
            tenant_id=data["tenantId"],
            bookings=tuple(BookingChange.from_json(item) for item in data["bookings"]),
            alerts=tuple(AlertFiring.from_json(item) for item in data.get("alerts", ())),
            id=data["id"],
            published_at=float(data["publishedAt"]),
        )

    @property
    def moves_numbers(self) -> bool:
        return not self.alerts


@dataclass(frozen=True)
class Resync:
    """Events may have been missed (the broker lost its connection): recompute, don't replay."""


RESYNC = Resync()
