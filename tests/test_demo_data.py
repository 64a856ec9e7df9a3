"""The demo data generator (demo.data) and seeding a store with it (demo.seeding)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from demo.data import FUNNEL, generate
from demo.seeding import TABLES, seed_store
from gateway.database import create_engine
from gateway.settings import Settings
from loaders import tables

END = date(2025, 6, 30)
STEPS = ("landing", "search", "room_select", "booking_form", "confirmation")
CHANNELS = {"organic_search", "paid_search", "social", "email", "referral", "direct", "display", "affiliate"}
SEARCH_ENGINES = ("google.", "bing.", "duckduckgo.")
MEDIUM_CHANNEL = {"cpc": "paid_search", "social": "social", "email": "email", "display": "display", "affiliate": "affiliate"}


def collect(tenants: int, days: int, seed: int = 42) -> dict[str, list[dict]]:
    data: dict[str, list[dict]] = defaultdict(list)
    for name, rows in generate(tenants, days, seed, end=END):
        data[name].extend(rows)
    return data


@pytest.fixture(scope="module")
def small() -> dict[str, list[dict]]:
    """6 tenants (two per segment) over 60 days."""
    return collect(6, 60)


@pytest.fixture(scope="module")
def long() -> dict[str, list[dict]]:
    """One tenant per segment over two years: seasonality, growth, rebooking."""
    return collect(3, 730)


def by_tenant(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["tenant_id"]].append(row)
    return grouped


def segment_of(data: dict[str, list[dict]]) -> dict[str, str]:
    return {t["id"]: t["segment"] for t in data["tenants"]}


def sessions(pageviews: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in pageviews:
        grouped[row["session_id"]].append(row)
    return grouped


def test_same_arguments_give_the_same_rows(small: dict[str, list[dict]]) -> None:
    assert collect(6, 60) == small
    other = collect(6, 60, seed=7)
    assert other["tenants"] == small["tenants"]
    assert other["pageviews"][:1000] != small["pageviews"][:1000]
    assert other["bookings"] != small["bookings"]
    assert other["fx_rates"] != small["fx_rates"]
    # a tenant's rows do not depend on how many tenants are generated
    assert by_tenant(collect(2, 60)["bookings"])["t01-hotel-limmat-zurich"] == by_tenant(small["bookings"])["t01-hotel-limmat-zurich"]


def test_default_tenants_span_segments_countries_and_currencies() -> None:
    name, rows = next(generate(end=END))
    assert name == "tenants" and len(rows) == 18
    assert len({r["id"] for r in rows}) == 18
    assert all(re.fullmatch(r"t\d{2}-[a-z0-9]+(-[a-z0-9]+)*", r["id"]) and len(r["id"]) <= 64 for r in rows)
    segments = Counter(r["segment"] for r in rows)
    assert set(segments) >= {"city_hotel", "resort", "wedding_venue"} and min(segments.values()) >= 6
    assert {r["country"] for r in rows} >= {"CH", "DE", "FR", "GB", "IT", "ES", "AT", "US"}
    assert {r["currency"] for r in rows} >= {"EUR", "GBP", "CHF", "USD"}
    expected = {"CH": "CHF", "GB": "GBP", "US": "USD"}
    assert all(r["currency"] == expected.get(r["country"], "EUR") for r in rows)
    assert len({r["name"] for r in rows}) == 18


def test_rows_match_the_tables(small: dict[str, list[dict]]) -> None:
    for name, rows in small.items():
        table = TABLES[name]
        columns = {c.name for c in table.c if c.name != "id" or name == "tenants"}
        assert rows and all(set(r) == columns for r in rows), name
        for column in table.c:
            if column.name in columns and not column.nullable:
                assert all(r[column.name] is not None for r in rows), (name, column.name)
            length = getattr(column.type, "length", None)
            if length and column.name in columns:
                assert all(r[column.name] is None or len(r[column.name]) <= length for r in rows), (name, column.name)
    for row in small["pageviews"][:5000] + small["surveys"]:
        assert type(row["ts"]) is datetime and row["ts"].tzinfo is None and row["ts"].microsecond == 0
    for row in small["pageviews"][:5000]:
        assert type(row["logged_in"]) is bool
    for row in small["bookings"]:
        assert type(row["booked_at"]) is datetime and row["booked_at"].microsecond == 0
        assert isinstance(row["amount"], Decimal) and row["amount"].as_tuple().exponent == -2
    assert all(r["usd_per_unit"].as_tuple().exponent == -8 and r["usd_per_unit"] > 0 for r in small["fx_rates"])


def test_everything_happens_inside_the_range(small: dict[str, list[dict]]) -> None:
    first, after = datetime(2025, 5, 2), datetime(2025, 7, 1)  # 60 days ending END
    for name, key in (("pageviews", "ts"), ("bookings", "booked_at"), ("surveys", "ts")):
        stamps = [r[key] for r in small[name]]
        assert first <= min(stamps) and max(stamps) < after, name


def test_funnel_drops_off_step_by_step(small: dict[str, list[dict]]) -> None:
    totals = Counter()
    for rows in by_tenant(small["pageviews"]).values():
        per_step = Counter()
        for views in sessions(rows).values():
            assert views[0]["step"] == "landing" and [v["step"] for v in views].count("landing") == 1
            stamps = [v["ts"] for v in views]
            assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
            per_step.update({v["step"] for v in views})
        counts = [per_step[s] for s in STEPS]
        assert all(a > b for a, b in zip(counts, counts[1:])), counts
        assert per_step["other"] > 0
        totals.update(per_step)
    ratios = [totals[b] / totals[a] for a, b in zip(STEPS, STEPS[1:])]
    for ratio, target in zip(ratios, FUNNEL):
        assert abs(ratio - target) < 0.06, ratios


def test_weekly_rhythm_depends_on_the_segment(small: dict[str, list[dict]]) -> None:
    segments = segment_of(small)
    for tenant, rows in by_tenant(small["pageviews"]).items():
        per_weekday = Counter(r["ts"].weekday() for r in rows)
        ratio = sum(per_weekday[d] for d in range(4)) / 4 / ((per_weekday[5] + per_weekday[6]) / 2)
        if segments[tenant] == "city_hotel":
            assert ratio > 1.2, (tenant, ratio)  # busy Monday to Thursday
        else:
            assert ratio < 0.9, (tenant, ratio)  # resorts and weddings: weekends


def test_yearly_seasonality_and_growth(long: dict[str, list[dict]]) -> None:
    segments = segment_of(long)
    first_day = END - timedelta(days=729)
    for tenant, rows in by_tenant(long["pageviews"]).items():
        months = Counter(r["ts"].month for r in rows)

        def avg(*ms: int) -> float:
            return sum(months[m] for m in ms) / len(ms)

        segment = segments[tenant]
        if segment == "wedding_venue":
            assert avg(5, 6, 7, 8, 9) > 1.5 * avg(11, 12, 1, 2)
        elif segment == "resort":
            assert min(avg(7, 8), avg(1, 2)) > 1.3 * avg(4, 5, 10, 11)
        else:
            assert min(avg(4, 5), avg(9, 10)) > 1.15 * avg(1, 7, 8, 12)
    halves = Counter("second" if r["ts"].date() >= first_day + timedelta(days=365) else "first" for r in long["pageviews"])
    assert halves["second"] > 1.01 * halves["first"]  # gentle growth
    assert halves["second"] < 1.25 * halves["first"]


def test_volume_per_tenant_day(long: dict[str, list[dict]], small: dict[str, list[dict]]) -> None:
    per_day = len(long["pageviews"]) / (3 * 730)
    assert 100 <= per_day <= 200, per_day
    sizes = [len(rows) / 60 for rows in by_tenant(small["pageviews"]).values()]
    assert max(sizes) > 1.2 * min(sizes)  # tenants differ in size
    bookings_per_day = len(long["bookings"]) / (3 * 730)
    assert 1 <= bookings_per_day <= 10, bookings_per_day


def test_channels_agree_with_their_attribution(small: dict[str, list[dict]]) -> None:
    pageviews = small["pageviews"]
    assert {r["channel"] for r in pageviews} == CHANNELS
    for row in pageviews:
        if row["utm_medium"]:
            derived = MEDIUM_CHANNEL[row["utm_medium"]]
        elif row["referrer"]:
            derived = "organic_search" if any(e in row["referrer"] for e in SEARCH_ENGINES) else "referral"
        else:
            derived = "direct"
        assert derived == row["channel"], row
    for views in sessions(pageviews[:20000]).values():
        assert len({(v["channel"], v["utm_source"], v["utm_campaign"], v["device"], v["visitor_id"]) for v in views}) == 1
    assert any(r["utm_campaign"] for r in pageviews) and any(r["utm_source"] is None for r in pageviews)


def test_devices_countries_members_and_returning_visitors(small: dict[str, list[dict]]) -> None:
    pageviews = small["pageviews"]
    devices = Counter(r["device"] for r in pageviews)
    for device, share in (("desktop", 0.50), ("mobile", 0.42), ("tablet", 0.08)):
        assert abs(devices[device] / len(pageviews) - share) < 0.05, devices
    null_countries = sum(r["country"] is None for r in pageviews) / len(pageviews)
    assert 0.01 < null_countries < 0.10
    assert len({r["country"] for r in pageviews}) > 8
    for rows in by_tenant(pageviews).values():
        visitors = {r["visitor_id"] for r in rows}
        members = {r["visitor_id"] for r in rows if r["logged_in"]}
        assert 0.12 <= len(members) / len(visitors) <= 0.28
        session_count = Counter(r["visitor_id"] for r in rows if r["step"] == "landing")
        assert 0.10 < sum(1 for n in session_count.values() if n > 1) / len(visitors) < 0.5
    late_logins = 0
    for views in sessions(pageviews).values():
        flags = [v["logged_in"] for v in views]
        assert flags == sorted(flags)  # once logged in, logged in for the rest of the visit
        late_logins += flags[0] is False and flags[-1] is True
    assert late_logins > 20


def test_bookings_come_from_confirmations(small: dict[str, list[dict]]) -> None:
    confirmations = {(r["tenant_id"], r["visitor_id"], r["ts"]): r["channel"]
                     for r in small["pageviews"] if r["step"] == "confirmation"}
    web = [b for b in small["bookings"] if b["visitor_id"] is not None]
    offline = [b for b in small["bookings"] if b["visitor_id"] is None]
    assert len(web) == len(confirmations)
    for booking in web:
        assert confirmations[(booking["tenant_id"], booking["visitor_id"], booking["booked_at"])] == booking["channel"]
    assert offline and {b["channel"] for b in offline} == {"direct", "email"}
    customers = defaultdict(set)
    for booking in web:
        customers[(booking["tenant_id"], booking["visitor_id"])].add(booking["customer_id"])
    assert all(len(c) == 1 for c in customers.values())


def test_repeat_customers_come_back_months_later(long: dict[str, list[dict]]) -> None:
    dates = defaultdict(list)
    for booking in long["bookings"]:
        if booking["status"] == "confirmed":
            dates[(booking["tenant_id"], booking["customer_id"])].append(booking["booked_at"])
    repeaters = [d for d in dates.values() if len(d) > 1]
    assert 0.03 < len(repeaters) / len(dates) < 0.3
    assert sum(1 for d in repeaters if max(d) - min(d) > timedelta(days=60)) > 50


def test_booking_values(small: dict[str, list[dict]]) -> None:
    segments = segment_of(small)
    home = {t["id"]: t["currency"] for t in small["tenants"]}
    cancelled = 0
    for tenant, rows in by_tenant(small["bookings"]).items():
        assert len({b["booking_ref"] for b in rows}) == len(rows)
        share = sum(b["status"] == "cancelled" for b in rows) / len(rows)
        assert 0.03 < share < 0.25, (tenant, share)
        cancelled += share * len(rows)
        in_home = sum(b["currency"] == home[tenant] for b in rows) / len(rows)
        assert 0.8 < in_home < 0.97, (tenant, in_home)
    bookings = small["bookings"]
    assert 0.08 <= cancelled / len(bookings) <= 0.18
    assert {b["status"] for b in bookings} == {"confirmed", "cancelled"}
    for b in bookings:
        assert b["check_in"] > b["booked_at"].date() and b["nights"] > 0 and b["rooms"] > 0
        cents = int(b["amount"] * 100)
        assert cents > 0 and cents % (b["nights"] * b["rooms"]) == 0  # amount = nights * rooms * ADR
    average = defaultdict(list)
    for b in bookings:
        if b["currency"] == home[b["tenant_id"]]:
            average[segments[b["tenant_id"]]].append(b["amount"])
    mean = {s: sum(v) / len(v) for s, v in average.items()}
    assert mean["wedding_venue"] > 3 * mean["city_hotel"] and mean["resort"] > mean["city_hotel"]


def test_surveys_follow_stays(small: dict[str, list[dict]]) -> None:
    stays = {(b["tenant_id"], b["booking_ref"]): b for b in small["bookings"]}
    surveys = small["surveys"]
    linked = [s for s in surveys if s["booking_ref"] is not None]
    assert 0.8 < len(linked) / len(surveys) < 1.0
    for survey in linked:
        stay = stays[(survey["tenant_id"], survey["booking_ref"])]
        assert stay["status"] == "confirmed"
        assert survey["ts"] > datetime.combine(stay["check_in"], time()) + timedelta(days=stay["nights"])
    scores = Counter(s["score"] for s in surveys)
    assert set(scores) <= set(range(11))
    promoters = sum(n for s, n in scores.items() if s >= 9) / len(surveys)
    detractors = sum(n for s, n in scores.items() if s <= 6) / len(surveys)
    assert promoters > 0.5 and 0.03 < detractors < 0.3


def test_fx_rates_cover_every_currency_and_day(small: dict[str, list[dict]]) -> None:
    rates = defaultdict(dict)
    for row in small["fx_rates"]:
        rates[row["currency"]][row["day"]] = row["usd_per_unit"]
    used = {b["currency"] for b in small["bookings"]} | {t["currency"] for t in small["tenants"]}
    assert used <= set(rates) and len(used) >= 4
    first_data_day = END - timedelta(days=59)
    for currency, days in rates.items():
        assert min(days) < first_data_day and max(days) == END
        assert len(days) == (max(days) - min(days)).days + 1  # a row every day
    assert set(rates["USD"].values()) == {Decimal("1.00000000")}
    for currency, (low, high) in {"EUR": (0.95, 1.25), "GBP": (1.1, 1.45), "CHF": (0.98, 1.3)}.items():
        values = list(rates[currency].values())
        assert low < min(values) and max(values) < high
        assert max(values) / min(values) > 1.005, currency  # it moves
        assert len(set(values)) > len(values) * 0.9


async def test_seed_store_writes_what_it_reports(empty_store_url: str) -> None:
    engine = create_engine(Settings(database_url=empty_store_url))
    try:
        counts = await seed_store(engine, tenants=3, days=20, end=END, progress=False)
        assert counts["tenants"] == 3 and all(counts.values())
        async with engine.connect() as conn:
            for name, table in TABLES.items():
                assert (await conn.execute(select(func.count()).select_from(table))).scalar_one() == counts[name]
            stored = (await conn.execute(select(tables.bookings).order_by(tables.bookings.c.id).limit(1))).one()
        first = next(rows for name, rows in generate(3, 20, end=END) if name == "bookings")[0]
        assert stored.amount == first["amount"] and stored.booked_at == first["booked_at"]
        assert stored.check_in == first["check_in"] and stored.booking_ref == first["booking_ref"]
        with pytest.raises(ValueError, match="already has 3 tenant"):
            await seed_store(engine, tenants=3, days=20, end=END, progress=False)
    finally:
        await engine.dispose()


def test_named_campaigns_burst_in_their_windows(long: dict[str, list[dict]]) -> None:
    from demo.campaigns import CAMPAIGNS

    segments = segment_of(long)
    for tenant, rows in by_tenant(long["pageviews"]).items():
        campaigns = CAMPAIGNS[segments[tenant]]
        landings = [r for r in rows if r["step"] == "landing"]
        for campaign in campaigns:
            days_on = Counter(r["ts"].date() for r in landings if r["utm_campaign"] == f"{campaign.name}_{r['ts'].year}")
            assert days_on, (tenant, campaign.name)
            assert all(campaign.runs_on(day) for day in days_on), (tenant, campaign.name)
            assert {r["channel"] for r in landings if (r["utm_campaign"] or "").startswith(campaign.name)} <= set(campaign.channels)
            # a burst: the campaign's days have clearly more sessions than the fortnight before
            first = min(days_on)
            before = sum(1 for r in landings if first - timedelta(days=14) <= r["ts"].date() < first) / 14
            during = sum(1 for r in landings if first <= r["ts"].date() < first + timedelta(days=14)) / 14
            assert during > 1.1 * before, (tenant, campaign.name, before, during)
