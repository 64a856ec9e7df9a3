"""A small, seeded data set for the oracle tests (independent of the product's demo generator).

It is deliberately full of the edge cases of metrics.md / warehouse.md:

* bookings in five currencies; SEK rates start only in March 2025 although SEK
  bookings exist from November 2024 (earliest-after rule); all fx rows skip
  weekends, random holidays and a two-week CHF gap, and stop before the data
  ends (latest-on-or-before rule); rates carry 8 decimals;
* hand-made half-cent ties (EUR rates 1.115 / 1.125 on one-booking days of the
  USD tenant, an average booking value of 0.125);
* customers with two confirmed bookings at the same instant, a customer whose
  earlier booking is cancelled, repeat bookings whose first booking is long
  before any short range, and customer / visitor / session ids that repeat
  across tenants (only the tenant filter tells them apart);
* visitors returning through several channels, logged in on some views only,
  pageviews with a NULL country, sessions that skip funnel steps or start deep
  in the funnel, sessions crossing midnight;
* a tenant with gaps in its data, one that starts late and one with no rows;
* many events exactly at 00:00:00 and 23:59:59.

Rows are plain dicts for the Core tables of loaders.tables (no `id` values).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

START = date(2024, 10, 1)
END = date(2025, 12, 31)

TENANTS: list[dict[str, str]] = [
    {"id": "orc-city-eur", "name": "Oracle City EUR", "segment": "city_hotel", "country": "DE", "currency": "EUR"},
    {"id": "orc-city-gbp", "name": "Oracle City GBP", "segment": "city_hotel", "country": "GB", "currency": "GBP"},
    {"id": "orc-city-usd", "name": "Oracle City USD", "segment": "city_hotel", "country": "US", "currency": "USD"},
    {"id": "orc-resort-chf", "name": "Oracle Resort CHF", "segment": "resort", "country": "CH", "currency": "CHF"},
    {"id": "orc-resort-sek", "name": "Oracle Resort SEK", "segment": "resort", "country": "SE", "currency": "SEK"},
    {"id": "orc-resort-empty", "name": "Oracle Resort (no data)", "segment": "resort", "country": "IT", "currency": "EUR"},
]
TENANT_IDS = [t["id"] for t in TENANTS]

# Days each tenant has any (random) activity; outside them the tenant has no rows
# (apart from a session spilling over midnight on the last day).
ACTIVE: dict[str, list[tuple[date, date]]] = {
    "orc-city-eur": [(START, END)],
    "orc-city-gbp": [(START, END)],
    "orc-city-usd": [(START, END)],
    "orc-resort-chf": [(date(2025, 1, 10), END)],
    "orc-resort-sek": [(date(2024, 11, 15), date(2025, 3, 20)), (date(2025, 6, 1), date(2025, 8, 31))],
    "orc-resort-empty": [],
}

CHANNELS = ["organic_search", "paid_search", "social", "email", "referral", "direct", "display", "affiliate"]
CHANNEL_WEIGHTS = [30, 15, 10, 8, 7, 20, 6, 4]
DEVICES = ["desktop", "mobile", "tablet"]
DEVICE_WEIGHTS = [45, 45, 10]
COUNTRIES = ["DE", "GB", "US", "FR", "CH", "SE", "IT", "NL", "ES"]
FUNNEL = ["landing", "search", "room_select", "booking_form", "confirmation"]

# fx: where each currency's rows start (SEK: after the first SEK bookings) and end
# (all before END: the last days use the latest rate on or before them).
FX_BASE = {"EUR": 1.08, "GBP": 1.27, "CHF": 1.13, "SEK": 0.095}
FX_FIRST = {"EUR": START, "GBP": date(2024, 9, 2), "CHF": date(2024, 9, 2), "SEK": date(2025, 3, 10)}
FX_LAST = {"EUR": date(2025, 12, 19), "GBP": date(2025, 12, 23), "CHF": date(2025, 12, 12), "SEK": date(2025, 12, 17)}
CHF_GAP = (date(2025, 2, 3), date(2025, 2, 16))
BOOKING_CURRENCIES = ["EUR", "GBP", "CHF", "SEK"]

# Hand-made days (bookings of orc-city-usd only, random bookings suppressed there).
TIE_DAY_1 = date(2025, 4, 16)  # EUR 1.00 at 1.11500000 -> 1.115 USD -> "1.12" (binary floats give 1.11)
TIE_DAY_2 = date(2025, 4, 17)  # EUR 1.00 at 1.12500000 -> 1.125 USD -> "1.12" (half-up gives 1.13)
ABV_DAY = date(2025, 4, 18)  # USD 0.10 + 0.15 -> revenue 0.25, average 0.125 -> "0.12"
FIXED_RATES = {("EUR", TIE_DAY_1): Decimal("1.11500000"), ("EUR", TIE_DAY_2): Decimal("1.12500000")}
RESERVED_BOOKING_DAYS = {"orc-city-usd": {TIE_DAY_1, TIE_DAY_2, ABV_DAY}}


@dataclass
class Dataset:
    tenants: list[dict] = field(default_factory=list)
    pageviews: list[dict] = field(default_factory=list)
    bookings: list[dict] = field(default_factory=list)
    fx_rates: list[dict] = field(default_factory=list)
    surveys: list[dict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("tenants", "pageviews", "bookings", "fx_rates", "surveys")}


def _days(first: date, last: date):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def _moment(rng: random.Random, day: date) -> datetime:
    """A second of the day; 6 % exactly at 00:00:00, 6 % exactly at 23:59:59."""
    r = rng.random()
    if r < 0.06:
        return datetime.combine(day, time(0, 0, 0))
    if r < 0.12:
        return datetime.combine(day, time(23, 59, 59))
    return datetime.combine(day, time()) + timedelta(seconds=rng.randrange(86400))


def _fx_rows(rng: random.Random) -> list[dict]:
    rows: list[dict] = []
    for cur, base in FX_BASE.items():
        value = base
        for day in _days(FX_FIRST[cur], FX_LAST[cur]):
            value *= 1 + rng.gauss(0, 0.004)
            fixed = FIXED_RATES.get((cur, day))
            if fixed is None:
                if day.weekday() >= 5 or rng.random() < 0.06:
                    continue  # weekends and random holidays: no row
                if cur == "CHF" and CHF_GAP[0] <= day <= CHF_GAP[1]:
                    continue
            rate = fixed if fixed is not None else Decimal(f"{value:.8f}")
            rows.append({"currency": cur, "day": day, "usd_per_unit": rate})
    # USD is 1 (rows present for the data's currencies invariant; any lookup gives 1).
    for day in (date(2024, 9, 2), date(2025, 1, 2), date(2025, 7, 1)):
        rows.append({"currency": "USD", "day": day, "usd_per_unit": Decimal("1.00000000")})
    return rows


def _session_steps(rng: random.Random) -> list[str]:
    r = rng.random()
    if r < 0.80:
        first = 0  # landing
    elif r < 0.92:
        first = 1  # deep link into search
    elif r < 0.95:
        first = 2  # straight to a room
    else:
        return ["other"] * rng.randint(1, 3)
    steps = [FUNNEL[first]]
    i = first
    while i < len(FUNNEL) - 1:
        if rng.random() < 0.38:
            break  # drop out
        nxt = i + 1
        if nxt < len(FUNNEL) - 1 and rng.random() < 0.08:
            nxt += 1  # skip a step
        i = nxt
        steps.append(FUNNEL[i])
        if rng.random() < 0.15:
            steps.append(FUNNEL[i])  # reload: the same step twice
        if rng.random() < 0.12:
            steps.append("other")
    return steps


UTM_MEDIUM = {"paid_search": "cpc", "social": "social", "email": "email", "display": "display",
              "affiliate": "affiliate", "referral": ""}


def _campaign(channel: str, day: date, session_no: int) -> str | None:
    if channel in ("paid_search", "social", "display"):
        return f"{('winter', 'spring', 'summer', 'autumn')[(day.month % 12) // 3]}_{day.year}"
    if channel == "email":
        return "" if session_no % 3 == 0 else f"newsletter_{day.month:02d}"
    return None


class _TenantGen:
    def __init__(self, rng: random.Random, tenant: dict, data: Dataset) -> None:
        self.rng = rng
        self.t = tenant
        self.tid = tenant["id"]
        self.data = data
        self.visitors: list[dict] = []
        self.session_no = 0
        self.booking_no = 0
        self.customers: list[str] = []
        self.customer_no = 0
        self.sessions_per_day = {"orc-city-eur": 5.0, "orc-city-gbp": 4.0, "orc-city-usd": 4.5}.get(self.tid, 3.5)

    # -- visitors and pageviews ------------------------------------------------
    def _visitor(self) -> dict:
        rng = self.rng
        if self.visitors and rng.random() < 0.55:
            return rng.choice(self.visitors[-400:])
        country = None if rng.random() < 0.06 else rng.choice(COUNTRIES)
        v = {
            # ids repeat across tenants on purpose: only tenant_id tells them apart
            "id": f"v{len(self.visitors)}",
            "device": rng.choices(DEVICES, DEVICE_WEIGHTS)[0],
            "country": country,
            "account": rng.random() < 0.3,
        }
        self.visitors.append(v)
        return v

    def _session(self, day: date) -> None:
        rng = self.rng
        v = self._visitor()
        sid = f"s{self.session_no}"
        self.session_no += 1
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]  # per session: returning visitors change channel
        device = v["device"] if rng.random() < 0.9 else rng.choice(DEVICES)
        ts = _moment(rng, day)
        for step in _session_steps(rng):
            country = v["country"] if rng.random() > 0.03 else None
            self.data.pageviews.append(
                {
                    "tenant_id": self.tid,
                    "ts": ts,
                    "visitor_id": v["id"],
                    "session_id": sid,
                    "step": step,
                    "channel": channel,
                    "device": device,
                    "country": country,
                    "logged_in": bool(v["account"] and rng.random() < 0.6),
                    "utm_source": None if channel == "direct" else channel.split("_")[0],
                    # no extra random draws (the rest of the data set stays as it was); '' and
                    # NULL both appear, and both must count as (none)
                    "utm_medium": UTM_MEDIUM.get(channel),
                    "utm_campaign": _campaign(channel, day, self.session_no),
                    "referrer": None,
                }
            )
            ts += timedelta(seconds=rng.randint(1, 240))  # may cross midnight

    # -- bookings ---------------------------------------------------------------
    def _customer(self) -> str:
        if self.customers and self.rng.random() < 0.45:
            return self.rng.choice(self.customers)
        c = f"c{self.customer_no}"  # ids repeat across tenants on purpose
        self.customer_no += 1
        self.customers.append(c)
        return c

    def _amount(self, nights: int, rooms: int) -> Decimal:
        rng = self.rng
        if rng.random() < 0.02:
            return Decimal("0.00")  # complimentary stay
        cents = nights * rooms * rng.randint(4000, 32000) + rng.randint(0, 99)
        return Decimal(cents) / 100

    def booking(self, booked_at: datetime, *, customer: str | None = None, currency: str | None = None,
                amount: Decimal | None = None, status: str | None = None, ref: str | None = None,
                visitor: str | None = None) -> None:
        rng = self.rng
        nights = rng.choice([1, 1, 2, 2, 3, 4, 5, 7])
        rooms = rng.choice([1, 1, 1, 1, 2, 3])
        if currency is None:
            r = rng.random()
            if r < 0.78:
                currency = self.t["currency"]
            elif r < 0.88:
                currency = "USD"
            else:
                currency = rng.choice(BOOKING_CURRENCIES)
        if ref is None:
            ref = f"B{self.booking_no:05d}"  # refs repeat across tenants (unique per tenant)
            self.booking_no += 1
        if visitor is not None:
            pass
        elif self.visitors and rng.random() < 0.6:
            visitor = rng.choice(self.visitors[-400:])["id"]
        self.data.bookings.append(
            {
                "tenant_id": self.tid,
                "booking_ref": ref,
                "booked_at": booked_at,
                "customer_id": customer or self._customer(),
                "visitor_id": visitor,
                "check_in": booked_at.date() + timedelta(days=rng.randint(0, 120)),
                "nights": nights,
                "rooms": rooms,
                "amount": amount if amount is not None else self._amount(nights, rooms),
                "currency": currency,
                "status": status or ("cancelled" if rng.random() < 0.13 else "confirmed"),
                "channel": rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
            }
        )

    def survey(self, day: date, score: int | None = None) -> None:
        rng = self.rng
        self.data.surveys.append(
            {
                "tenant_id": self.tid,
                "ts": _moment(rng, day),
                "score": rng.randint(0, 10) if score is None else score,
                "booking_ref": f"B{rng.randrange(max(self.booking_no, 1)):05d}" if rng.random() < 0.5 else None,
            }
        )

    def day(self, day: date) -> None:
        rng = self.rng
        weekend = 1.3 if day.weekday() >= 5 else 1.0
        mean = self.sessions_per_day * weekend
        n_sessions = max(0, int(rng.gauss(mean, mean / 2) + 0.5))
        for _ in range(n_sessions):
            self._session(day)
        if day not in RESERVED_BOOKING_DAYS.get(self.tid, ()):
            for _ in range(rng.choices([0, 1, 2, 3, 4], [30, 35, 20, 10, 5])[0]):
                self.booking(_moment(rng, day))
        for _ in range(rng.choices([0, 1, 2], [55, 35, 10])[0]):
            self.survey(day)


def _specials(gens: dict[str, _TenantGen]) -> None:
    usd = gens["orc-city-usd"]
    noon = time(12, 0, 0)
    usd.booking(datetime.combine(TIE_DAY_1, noon), currency="EUR", amount=Decimal("1.00"), status="confirmed", ref="TIE1")
    usd.booking(datetime.combine(TIE_DAY_2, noon), currency="EUR", amount=Decimal("1.00"), status="confirmed", ref="TIE2")
    usd.booking(datetime.combine(ABV_DAY, time(0, 0, 0)), currency="USD", amount=Decimal("0.10"), status="confirmed", ref="ABV1")
    usd.booking(datetime.combine(ABV_DAY, time(23, 59, 59)), currency="USD", amount=Decimal("0.15"), status="confirmed", ref="ABV2")
    usd.booking(datetime.combine(ABV_DAY, noon), currency="USD", amount=Decimal("99.99"), status="cancelled", ref="ABV3")

    eur = gens["orc-city-eur"]
    # two confirmed bookings at the very same instant: neither is earlier, neither is a repeat
    twin = datetime(2025, 5, 5, 10, 0, 0)
    eur.booking(twin, customer="c-twin", status="confirmed", ref="TWIN1")
    eur.booking(twin, customer="c-twin", status="confirmed", ref="TWIN2")
    eur.booking(datetime(2025, 5, 20, 8, 30, 0), customer="c-twin", status="confirmed", ref="TWIN3")  # repeat
    # an earlier cancelled booking does not make a repeat
    eur.booking(datetime(2025, 6, 1, 9, 0, 0), customer="c-cxl", status="cancelled", ref="CXL1")
    eur.booking(datetime(2025, 6, 10, 9, 0, 0), customer="c-cxl", status="confirmed", ref="CXL2")  # not a repeat
    eur.booking(datetime(2025, 6, 20, 9, 0, 0), customer="c-cxl", status="confirmed", ref="CXL3")  # repeat
    # first booking long before the range
    eur.booking(datetime(2024, 10, 2, 0, 0, 0), customer="c-old", status="confirmed", ref="OLD1")
    eur.booking(datetime(2025, 11, 11, 23, 59, 59), customer="c-old", status="confirmed", ref="OLD2")
    # SEK bookings before the first SEK rate (earliest-after rule) on other tenants
    gbp = gens["orc-city-gbp"]
    gbp.booking(datetime(2024, 12, 31, 23, 59, 59), currency="SEK", amount=Decimal("12345.67"), status="confirmed", ref="SEK-EARLY1")
    gbp.booking(datetime(2025, 1, 1, 0, 0, 0), currency="SEK", amount=Decimal("999.99"), status="confirmed", ref="SEK-EARLY2")
    _attribution_edges(eur)
    # every NPS score on one day
    chf = gens["orc-resort-chf"]
    for score in range(11):
        chf.survey(date(2025, 3, 3), score)


ATTRIBUTION_BOOKED_AT = datetime(2025, 7, 15, 12, 0, 0)


def _view(gen: _TenantGen, ts: datetime, visitor: str, session: str, channel: str, campaign: str | None) -> None:
    gen.data.pageviews.append({
        "tenant_id": gen.tid, "ts": ts, "visitor_id": visitor, "session_id": session, "step": "landing",
        "channel": channel, "device": "desktop", "country": None, "logged_in": False,
        "utm_source": channel, "utm_medium": None, "utm_campaign": campaign, "referrer": None,
    })


def _attribution_edges(eur: _TenantGen) -> None:
    """Touches at the lookback edges and ties at one instant (rows are inserted in this order,
    so ids grow down the list): with a 30-day lookback, FIRST_TOUCH credits `edge-first`
    (the lowest id at exactly booked_at - 30 days) and LAST_TOUCH `edge-last` (the highest id
    at exactly booked_at); the views just outside the window are never credited."""
    at = ATTRIBUTION_BOOKED_AT
    v = "v-attr"
    _view(eur, at - timedelta(days=30, seconds=1), v, "s-attr-0", "display", "too-early")
    _view(eur, at - timedelta(days=30), v, "s-attr-1", "social", "edge-first")
    _view(eur, at - timedelta(days=30), v, "s-attr-1", "email", "edge-first-tie")
    _view(eur, at - timedelta(days=3), v, "s-attr-2", "paid_search", "middle")
    _view(eur, at, v, "s-attr-3", "referral", "edge-last-tie")
    _view(eur, at, v, "s-attr-3", "affiliate", "edge-last")
    _view(eur, at + timedelta(seconds=1), v, "s-attr-4", "direct", "too-late")
    eur.booking(at, customer="c-attr", status="confirmed", ref="ATTR1", visitor=v)
    # a visitor whose only view is a second too early: (none) with a 30-day lookback
    _view(eur, at - timedelta(days=30, seconds=1), "v-attr-old", "s-attr-5", "social", "stale")
    eur.booking(at, customer="c-attr-old", status="confirmed", ref="ATTR2", visitor="v-attr-old")


def generate(seed: int = 20250607) -> Dataset:
    rng = random.Random(seed)
    data = Dataset(tenants=[dict(t) for t in TENANTS])
    data.fx_rates = _fx_rows(rng)
    gens = {t["id"]: _TenantGen(random.Random(rng.random()), t, data) for t in TENANTS}
    for tid, windows in ACTIVE.items():
        for first, last in windows:
            for day in _days(first, last):
                gens[tid].day(day)
    _specials(gens)
    return data


async def load(url: str, data: Dataset) -> None:
    """Create the tables in the (empty) store at `url` and insert the data set."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from loaders import tables
    from loaders.bulk_insert import insert_rows
    from loaders.store import analyze, create_schema

    engine = create_async_engine(url)
    try:
        await create_schema(engine)
        await insert_rows(engine, tables.tenants, data.tenants)
        await insert_rows(engine, tables.fx_rates, data.fx_rates)
        await insert_rows(engine, tables.pageviews, data.pageviews)
        await insert_rows(engine, tables.bookings, data.bookings)
        await insert_rows(engine, tables.surveys, data.surveys)
        await analyze(engine)  # as seeding does: MariaDB picks the visitor index for attribution
    finally:
        await engine.dispose()


if __name__ == "__main__":
    print(generate().counts())
