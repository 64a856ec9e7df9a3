"""Deterministic synthetic hospitality data for the demo store (pure generation, no I/O).

`generate` yields (table name, rows) chunks: the tenants, the FX rates, then per tenant its
pageviews, bookings and surveys. Every tenant draws from its own random.Random seeded from
(seed, tenant position), so the same arguments always give the same rows and a tenant's data
does not depend on how many tenants are generated. The hot loop (pageviews, ~2M rows for the
default demo) is written with local names and few calls per row because seeding time matters.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from math import exp

from demo.bookings import BookingMaker
from demo.campaigns import running, touch
from demo.profiles import (
    ATTRIBUTION,
    CHANNEL_CONVERSION,
    CHANNELS,
    CURRENCIES,
    FX_LEVELS,
    HOUR_WEIGHTS,
    MONTHLY,
    NEW_CHANNEL_WEIGHTS,
    PROFILES,
    RETURNING_CHANNEL_WEIGHTS,
    VISITOR_COUNTRIES,
    WEEKLY,
    TenantSpec,
    tenant_specs,
)

Row = dict[str, object]
Chunk = tuple[str, list[Row]]

PAGEVIEW_CHUNK = 20_000
FX_LEAD_DAYS = 14  # rates start a bit before the first data day, like a real feed would
RETURNING_SHARE = 0.28  # share of ordinary sessions by a visitor seen before
# Funnel continuation chances: search, room_select, booking_form, confirmation (before the
# channel factor). Rebooking guests arrive with intent and use the "hot" ones.
# new visitors: about 3 % of sessions book, as on a typical direct-booking site
FUNNEL = (0.45, 0.50, 0.35, 0.40)
HOT_FUNNEL = (0.95, 0.85, 0.75, 0.80)
# datetime + timedelta(seconds=n) costs ~1 us, a lookup in this table a tenth: it covers every
# second of a day plus the next one, enough for sessions that cross midnight.
SECONDS = [timedelta(seconds=s) for s in range(2 * 86400)]
MAX_GAP = 404  # seconds between two pageviews of a session


def generate(tenants: int = 18, days: int = 730, seed: int = 42, *, end: date) -> Iterator[Chunk]:
    """All demo rows for `days` days ending on `end` (inclusive), keyed by loaders.tables columns."""
    if tenants < 1 or days < 1:
        raise ValueError("tenants and days must be positive")
    start = end - timedelta(days=days - 1)
    specs = tenant_specs(tenants)
    yield "tenants", [
        {"id": s.id, "name": s.name, "segment": s.segment, "country": s.country, "currency": s.currency}
        for s in specs
    ]
    yield "fx_rates", fx_rows(start - timedelta(days=FX_LEAD_DAYS), end, seed)
    for spec in specs:
        yield from tenant_rows(spec, start, days, seed)


def fx_rows(first: date, last: date, seed: int) -> list[Row]:
    """One rate per currency and day: a mean-reverting random walk around FX_LEVELS."""
    rng = random.Random(f"demo-fx:{seed}")
    n = (last - first).days + 1
    rows: list[Row] = []
    for currency in CURRENCIES:
        level = FX_LEVELS[currency]
        rate = level * rng.uniform(0.96, 1.04)
        for i in range(n):
            if currency == "USD":
                value = Decimal("1.00000000")
            else:
                # ~0.45% daily moves, pulled back towards the level so two years stay plausible
                rate += 0.01 * (level - rate) + 0.0045 * level * rng.gauss(0.0, 1.0)
                value = Decimal(round(rate * 100_000_000)).scaleb(-8)
            rows.append({"currency": currency, "day": first + timedelta(days=i), "usd_per_unit": value})
    return rows


def season_factor(segment: str, day: date) -> float:
    """Monthly factor (normalised to mean 1), interpolated between mid-months so it is smooth."""
    months = MONTHLY[segment]
    mean = sum(months) / 12
    position = day.month - 1 + (day.day - 0.5) / calendar.monthrange(day.year, day.month)[1] - 0.5
    low = int(position // 1)
    frac = position - low
    return (months[low % 12] * (1 - frac) + months[(low + 1) % 12] * frac) / mean


def _table(weights: dict[object, int] | list[tuple[object, int]]) -> list[object]:
    """A lookup list with each value repeated by its weight: table[int(random() * len)] draws."""
    items = weights.items() if isinstance(weights, dict) else weights
    return [value for value, weight in items for _ in range(weight)]


def tenant_rows(spec: TenantSpec, start: date, days: int, seed: int) -> Iterator[Chunk]:
    rng = random.Random(f"demo-tenant:{seed}:{spec.index}")
    rnd = rng.random
    segment = spec.segment
    profile = PROFILES[segment]
    code = f"{spec.index:02d}"
    tid = spec.id
    last_day = days - 1

    base_sessions = rng.uniform(*profile.sessions)
    growth = rng.uniform(0.02, 0.12)  # per year
    member_rate = rng.uniform(0.18, 0.26)
    weekly = WEEKLY[segment]
    bookings = BookingMaker(spec, profile, rng, code, start + timedelta(days=days))

    hours = _table([((h - spec.utc_offset) % 24, w) for h, w in enumerate(HOUR_WEIGHTS)])
    n_hours = len(hours)
    foreign = {c: w for c, w in VISITOR_COUNTRIES.items() if c != spec.country}
    countries = _table({spec.country: int(sum(foreign.values()) * rng.uniform(0.8, 1.4)), **foreign, None: 8})
    n_countries = len(countries)
    devices = _table({"desktop": 50, "mobile": 42, "tablet": 8})
    new_channels = _table(list(zip(CHANNELS, NEW_CHANNEL_WEIGHTS[segment])))
    returning_channels = _table(list(zip(CHANNELS, RETURNING_CHANNEL_WEIGHTS)))
    n_new_ch, n_ret_ch = len(new_channels), len(returning_channels)
    p_search, p_room, p_form, p_conf = FUNNEL

    # the visitor pool, as parallel lists (cheaper than objects in the hot loop)
    v_ids: list[str] = []
    v_device: list[str] = []
    v_country: list[str | None] = []
    v_member: list[bool] = []
    v_customer: dict[int, str] = {}
    rebook_on: dict[int, list[int]] = {}  # day index -> visitors coming back to book again

    session_no = 0
    buffer: list[Row] = []
    for d in range(days):
        day = start + timedelta(days=d)
        day_dt = datetime(day.year, day.month, day.day)
        attribution = _day_attribution(day)
        mean = (base_sessions * (1 + growth * d / 365) * weekly[day.weekday()] * season_factor(segment, day)
                * exp(rng.gauss(0.0, 0.1)) * (1.6 if rnd() < 0.01 else 1.0))
        visits: list[int | None] = [None] * int(mean + rnd())
        visits += rebook_on.pop(d, [])
        campaign = running(segment, day)
        # campaign sessions come last, each a new visitor (marked -1)
        visits += [-1] * (int(mean * campaign.boost + rnd()) if campaign else 0)
        known = len(v_ids)  # visitors who can come back today: those first seen on an earlier day
        for vi in visits:
            touched = None
            if vi == -1:  # a campaign's new visitor
                hot = False
                f_search, f_room, f_form, f_conf = p_search, p_room, p_form, p_conf
                touched = touch(campaign, day, rnd(), rnd())  # type: ignore[arg-type]
                vi = n_vis = len(v_ids)
                v_ids.append(f"v{code}-{n_vis:06d}")
                v_device.append(devices[int(rnd() * 100)])
                v_country.append(countries[int(rnd() * n_countries)])
                v_member.append(rnd() < member_rate)
                channel = touched[0]
            elif vi is not None:  # a past guest returning to book again
                hot = True
                channel = returning_channels[int(rnd() * n_ret_ch)]
                f_search, f_room, f_form, f_conf = HOT_FUNNEL
            else:
                hot = False
                f_search, f_room, f_form, f_conf = p_search, p_room, p_form, p_conf
                if known and rnd() < RETURNING_SHARE:
                    vi = known - 1 - int((known - 1) * rnd() ** 3)  # recent visitors return more often
                    channel = returning_channels[int(rnd() * n_ret_ch)]
                else:
                    vi = n_vis = len(v_ids)
                    v_ids.append(f"v{code}-{n_vis:06d}")
                    v_device.append(devices[int(rnd() * 100)])
                    v_country.append(countries[int(rnd() * n_countries)])
                    v_member.append(rnd() < member_rate)
                    channel = new_channels[int(rnd() * n_new_ch)]
            session_no += 1
            if touched is None:
                variants = attribution[channel]
                src, medium, utm_campaign, referrer = variants[int(rnd() * len(variants))]
            else:
                _, src, medium, utm_campaign, referrer = touched

            steps = ["landing"]
            while rnd() < 0.3:
                steps.append("other")
            booked = False
            if rnd() < f_search:
                steps.append("search")
                if rnd() < 0.25:
                    steps.append("search")  # changed the dates
                if rnd() < f_room:
                    if rnd() < 0.3:
                        steps.append("other")  # looked at the spa or the menu first
                    steps.append("room_select")
                    if rnd() < f_form:
                        steps.append("booking_form")
                        if hot or rnd() < f_conf * CHANNEL_CONVERSION[channel]:
                            steps.append("confirmation")
                            booked = True
            n_steps = len(steps)

            sec = hours[int(rnd() * n_hours)] * 3600 + int(rnd() * 3600)
            if d == last_day:  # a gap is at most MAX_GAP: keep the last day's sessions inside the range
                sec = min(sec, 86399 - MAX_GAP * (n_steps - 1))
            member = v_member[vi]
            login_at = (0 if rnd() < 0.7 else 1 + int(rnd() * n_steps)) if member else n_steps
            base = {"tenant_id": tid, "visitor_id": v_ids[vi], "session_id": f"s{code}-{session_no:07d}",
                    "channel": channel, "device": v_device[vi], "country": v_country[vi],
                    "utm_source": src, "utm_medium": medium, "utm_campaign": utm_campaign, "referrer": referrer}
            k = 0
            for step in steps:
                ts = day_dt + SECONDS[sec]
                buffer.append(dict(base, ts=ts, step=step, logged_in=k >= login_at))
                k += 1
                sec += 5 + int(rnd() * rnd() * 400)  # mostly quick clicks, sometimes minutes of reading
            if booked:
                customer = v_customer.get(vi)
                if customer is None:
                    customer = v_customer[vi] = bookings.new_customer()
                confirmed = bookings.add(ts, customer, v_ids[vi], channel)
                if confirmed and not hot and rnd() < profile.rebook:
                    rebook_on.setdefault(d + rng.randint(60, 420), []).append(vi)
        bookings.add_offline(day_dt, profile.offline_per_day * weekly[day.weekday()] * season_factor(segment, day))
        if len(buffer) >= PAGEVIEW_CHUNK:
            yield "pageviews", buffer
            buffer = []
    if buffer:
        yield "pageviews", buffer
    yield "bookings", bookings.rows
    yield "surveys", bookings.surveys()


def _day_attribution(day: date) -> dict[str, list[tuple[str | None, str | None, str | None, str | None]]]:
    """The channel variants with campaign names of that day filled in."""
    season = ("winter", "winter", "spring", "spring", "spring", "summer",
              "summer", "summer", "autumn", "autumn", "autumn", "winter")[day.month - 1]
    names = {
        "brand": "brand",
        "season": f"{season}_{day.year}",
        "newsletter": f"newsletter_{day.year}_{day.month:02d}",
        "prestay": "prestay_upsell",
        "retargeting": "retargeting",
        "metasearch": "metasearch",
    }
    return {
        channel: [(src, medium, names[kind] if kind else None, ref) for src, medium, kind, ref in variants]
        for channel, variants in ATTRIBUTION.items()
    }
