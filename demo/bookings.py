"""Bookings and guest surveys of one demo tenant (used by demo.data)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from demo.profiles import (
    ADR_SEASON,
    CURRENCIES,
    FX_LEVELS,
    SCORE_WEIGHTS,
    WEDDING_PACKAGE_RATE,
    WEDDING_PACKAGE_SHARE,
    SegmentProfile,
    TenantSpec,
)

FOREIGN_CURRENCY_SHARE = 0.10  # guests paying in their own currency
REPEAT_OFFLINE_SHARE = 0.4  # phone/e-mail bookings by a known guest
SURVEY_WITH_REF = 0.92  # the rest were answered without a link to the stay


class BookingMaker:
    """Collects a tenant's bookings (day by day, as they happen) and derives the surveys from them."""

    def __init__(self, spec: TenantSpec, profile: SegmentProfile, rng: random.Random, code: str,
                 data_end: date) -> None:
        self.spec = spec
        self.profile = profile
        self.rng = rng
        self.code = code
        self.survey_limit = datetime(data_end.year, data_end.month, data_end.day)  # exclusive
        self.adr = rng.uniform(*profile.adr)
        self.cancel_rate = rng.uniform(*profile.cancel)
        self.others = [c for c in CURRENCIES if c != spec.currency]
        # a tenant's quality shows in how many detractors it has
        quality = rng.uniform(0.5, 1.8)
        weights = [w * (quality if score <= 6 else 1.0) for score, w in enumerate(SCORE_WEIGHTS)]
        self.scores = list(range(11))
        self.score_cum = [sum(weights[: i + 1]) for i in range(11)]
        self.rows: list[dict[str, object]] = []
        self.customers: list[str] = []

    def new_customer(self) -> str:
        customer = f"c{self.code}-{len(self.customers) + 1:06d}"
        self.customers.append(customer)
        return customer

    def add(self, booked_at: datetime, customer: str, visitor: str | None, channel: str) -> bool:
        """Book a stay; returns whether it stays confirmed (not cancelled)."""
        rng, profile = self.rng, self.profile
        low, high, mean = profile.lead
        lead = min(high, low + int(rng.expovariate(1.0 / (mean - low))))
        check_in = booked_at.date() + timedelta(days=lead)
        if self.spec.segment == "wedding_venue" and rng.random() < WEDDING_PACKAGE_SHARE:
            check_in += timedelta(days=(5 - check_in.weekday()) % 7)  # weddings are on Saturdays
            nights, rooms = 1, 1
            rate = rng.uniform(*WEDDING_PACKAGE_RATE) * self.adr / 210
        else:
            nights, rooms = rng.choice(profile.nights), rng.choice(profile.rooms)
            rate = self.adr * rng.uniform(0.85, 1.15)
        rate *= ADR_SEASON[self.spec.segment][check_in.month - 1]
        currency = self.spec.currency
        if rng.random() < FOREIGN_CURRENCY_SHARE:
            foreign = rng.choice(self.others)
            rate *= FX_LEVELS[currency] / FX_LEVELS[foreign]
            currency = foreign
        confirmed = rng.random() >= self.cancel_rate
        self.rows.append({
            "tenant_id": self.spec.id,
            "booking_ref": f"B{self.code}-{len(self.rows) + 1:07d}",
            "booked_at": booked_at,
            "customer_id": customer,
            "visitor_id": visitor,
            "check_in": check_in,
            "nights": nights,
            "rooms": rooms,
            # amount = nights * rooms * ADR, the ADR rounded to cents first so the product is exact
            "amount": Decimal(nights * rooms * round(rate * 100)).scaleb(-2),
            "currency": currency,
            "status": "confirmed" if confirmed else "cancelled",
            "channel": channel,
        })
        return confirmed

    def add_offline(self, day: datetime, expected: float) -> None:
        """Phone and e-mail bookings of the day (office hours, tenant's clock), no web visitor."""
        rng = self.rng
        for _ in range(int(expected + rng.random())):
            local = rng.randint(8 * 3600, 18 * 3600)
            seconds = min(86399, max(0, local - self.spec.utc_offset * 3600))
            if self.customers and rng.random() < REPEAT_OFFLINE_SHARE:
                customer = rng.choice(self.customers)
            else:
                customer = self.new_customer()
            channel = "direct" if rng.random() < 0.7 else "email"
            self.add(day + timedelta(seconds=seconds), customer, None, channel)

    def surveys(self) -> list[dict[str, object]]:
        """A share of the confirmed stays that ended answer a few days after check-out."""
        rng, rows = self.rng, []
        for booking in self.rows:
            if booking["status"] != "confirmed" or rng.random() >= self.profile.survey:
                continue
            check_in: date = booking["check_in"]  # type: ignore[assignment]
            checkout = check_in + timedelta(days=booking["nights"] + rng.randint(0, 10))  # type: ignore[operator]
            ts = datetime(checkout.year, checkout.month, checkout.day) + timedelta(
                seconds=rng.randint(7 * 3600, 22 * 3600))
            if ts >= self.survey_limit:
                continue  # not answered yet
            score = rng.choices(self.scores, cum_weights=self.score_cum)[0]
            ref = booking["booking_ref"] if rng.random() < SURVEY_WITH_REF else None
            rows.append({"tenant_id": self.spec.id, "ts": ts, "score": score, "booking_ref": ref})
        rows.sort(key=lambda r: r["ts"])  # type: ignore[arg-type, return-value]
        return rows
