"""An independent implementation of the metric definitions (docs/metrics.md) over raw rows.

Nothing here uses the gateway's resolvers/ or loaders/ logic: rows are read back
with plain SQL (`read_raw`) and every figure is computed in plain Python with
exact arithmetic (`fractions.Fraction`; money becomes a `decimal.Decimal`
rounded half-even to the cent exactly once).

Value types returned by the oracle:
* counts: int
* money (revenue, average booking value): Decimal with 2 decimals
* ratios (conversion, cancellation, repeat booking rates, NPS): Fraction, or None
  when there is no denominator
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

ONE_DAY = timedelta(days=1)
CENT = Decimal("0.01")

METRICS = [
    "UNIQUE_VISITORS",
    "SESSIONS",
    "PAGEVIEWS",
    "BOOKINGS",
    "CANCELLATIONS",
    "ROOM_NIGHTS",
    "REVENUE",
    "AVERAGE_BOOKING_VALUE",
    "CONVERSION_RATE",
    "CANCELLATION_RATE",
    "REPEAT_BOOKING_RATE",
    "NPS",
]
COUNT_METRICS = {"UNIQUE_VISITORS", "SESSIONS", "PAGEVIEWS", "BOOKINGS", "CANCELLATIONS", "ROOM_NIGHTS"}
MONEY_METRICS = {"REVENUE", "AVERAGE_BOOKING_VALUE"}
PAGEVIEW_METRICS = {"UNIQUE_VISITORS", "SESSIONS", "PAGEVIEWS"}
BOOKING_METRICS = {
    "BOOKINGS",
    "CANCELLATIONS",
    "ROOM_NIGHTS",
    "REVENUE",
    "AVERAGE_BOOKING_VALUE",
    "CANCELLATION_RATE",
    "REPEAT_BOOKING_RATE",
}
DIMENSIONS = ["CHANNEL", "DEVICE", "LOGIN_STATUS", "COUNTRY", "UTM_SOURCE", "UTM_MEDIUM", "UTM_CAMPAIGN"]
GRANULARITIES = ["DAY", "WEEK", "MONTH", "QUARTER", "YEAR"]
FUNNEL_STEPS = [
    ("LANDING", "landing"),
    ("SEARCH", "search"),
    ("ROOM_SELECT", "room_select"),
    ("BOOKING_FORM", "booking_form"),
    ("CONFIRMATION", "confirmation"),
]
# KeyMetrics field -> Metric enum value
KEY_FIELDS = {
    "uniqueVisitors": "UNIQUE_VISITORS",
    "sessions": "SESSIONS",
    "pageviews": "PAGEVIEWS",
    "bookings": "BOOKINGS",
    "cancellations": "CANCELLATIONS",
    "roomNights": "ROOM_NIGHTS",
    "revenue": "REVENUE",
    "averageBookingValue": "AVERAGE_BOOKING_VALUE",
    "conversionRate": "CONVERSION_RATE",
    "cancellationRate": "CANCELLATION_RATE",
    "repeatBookingRate": "REPEAT_BOOKING_RATE",
    "nps": "NPS",
}


def dimension_applies(metric: str, dimension: str) -> bool:
    """metrics.md: CHANNEL to pageview and booking metrics and ratios of them
    (conversion rate); DEVICE, COUNTRY, LOGIN_STATUS to pageview metrics only."""
    if dimension == "CHANNEL":
        return metric in PAGEVIEW_METRICS or metric in BOOKING_METRICS or metric == "CONVERSION_RATE"
    return metric in PAGEVIEW_METRICS


def label(dimension: str, pv: PV) -> str:
    """metrics.md: a pageview's value of a dimension as the API keys it."""
    if dimension == "LOGIN_STATUS":
        return "logged_in" if pv.logged_in else "logged_out"
    if dimension == "COUNTRY":
        return pv.country if pv.country is not None else "unknown"
    if dimension.startswith("UTM_"):
        value = getattr(pv, dimension.lower())
        return "(none)" if value is None or value == "" else value  # NULL and empty count as (none)
    return getattr(pv, dimension.lower())


class UnknownCurrency(Exception):
    pass


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class PV:
    ts: datetime
    visitor_id: str
    session_id: str
    step: str
    channel: str
    device: str
    country: str | None
    logged_in: bool
    id: int = 0
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None


@dataclass(frozen=True)
class BK:
    booking_ref: str
    booked_at: datetime
    customer_id: str
    nights: int
    rooms: int
    amount: Decimal
    currency: str
    status: str
    channel: str
    visitor_id: str | None = None


@dataclass(frozen=True)
class SV:
    ts: datetime
    score: int


def _dt(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _dec(value: Any, places: int) -> Decimal:
    """DECIMAL(p, places) as stored; SQLite hands back a binary float, so go through its repr."""
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(Decimal(1).scaleb(-places))


async def read_raw(engine: Any, tenant_ids: list[str]) -> dict[str, Any]:
    """Read the raw rows back with plain SQL (no gateway code)."""
    from sqlalchemy import text

    raw: dict[str, Any] = {"tenants": {}, "pageviews": {}, "bookings": {}, "surveys": {}, "fx_rates": []}
    async with engine.connect() as conn:
        for row in (await conn.execute(text("SELECT id, name, segment, country, currency FROM tenants"))).mappings():
            raw["tenants"][row["id"]] = dict(row)
        for row in (await conn.execute(text("SELECT currency, day, usd_per_unit FROM fx_rates"))).mappings():
            raw["fx_rates"].append(
                {"currency": row["currency"], "day": _day(row["day"]), "usd_per_unit": _dec(row["usd_per_unit"], 8)}
            )
        for tid in tenant_ids:
            pvs = await conn.execute(
                text(
                    "SELECT ts, visitor_id, session_id, step, channel, device, country, logged_in, "
                    "id, utm_source, utm_medium, utm_campaign "
                    "FROM pageviews WHERE tenant_id = :t"
                ),
                {"t": tid},
            )
            raw["pageviews"][tid] = [
                PV(_dt(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), int(r[8]), r[9], r[10], r[11])
                for r in pvs.all()
            ]
            bks = await conn.execute(
                text(
                    "SELECT booking_ref, booked_at, customer_id, nights, rooms, amount, currency, status, channel, "
                    "visitor_id "
                    "FROM bookings WHERE tenant_id = :t"
                ),
                {"t": tid},
            )
            raw["bookings"][tid] = [
                BK(r[0], _dt(r[1]), r[2], int(r[3]), int(r[4]), _dec(r[5], 2), r[6], r[7], r[8], r[9])
                for r in bks.all()
            ]
            svs = await conn.execute(text("SELECT ts, score FROM surveys WHERE tenant_id = :t"), {"t": tid})
            raw["surveys"][tid] = [SV(_dt(r[0]), int(r[1])) for r in svs.all()]
    return raw


# --------------------------------------------------------------------------- money


def round_money(value: Fraction | Decimal | int) -> Decimal:
    """Round half-even to 2 decimals (Python rounds a Fraction half to even)."""
    cents = round(Fraction(value) * 100)
    return (Decimal(cents) / 100).quantize(CENT)


# --------------------------------------------------------------------------- periods


def previous_range(start: date, end: date) -> tuple[date, date]:
    days = (end - start).days + 1
    prev_end = start - ONE_DAY
    return prev_end - timedelta(days=days - 1), prev_end


def period_start(day: date, granularity: str) -> date:
    if granularity == "DAY":
        return day
    if granularity == "WEEK":
        return day - timedelta(days=day.weekday())  # ISO week, Monday first
    if granularity == "MONTH":
        return day.replace(day=1)
    if granularity == "QUARTER":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if granularity == "YEAR":
        return date(day.year, 1, 1)
    raise ValueError(granularity)


def period_end(first: date, granularity: str) -> date:
    if granularity == "DAY":
        return first
    if granularity == "WEEK":
        return first + timedelta(days=6)
    months = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[granularity]
    m = first.month - 1 + months
    return date(first.year + m // 12, m % 12 + 1, 1) - ONE_DAY


def periods(start: date, end: date, granularity: str) -> list[tuple[date, date]]:
    """Every period overlapping [start, end], clipped to it."""
    out = []
    day = start
    while day <= end:
        last = min(period_end(period_start(day, granularity), granularity), end)
        out.append((day, last))
        day = last + ONE_DAY
    return out


# --------------------------------------------------------------------------- the oracle


class Oracle:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.tenants: dict[str, dict] = raw["tenants"]
        self._rates: dict[str, tuple[list[date], list[Fraction]]] = {}
        by_cur: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
        for row in raw["fx_rates"]:
            by_cur[row["currency"]].append((row["day"], row["usd_per_unit"]))
        for cur, rows in by_cur.items():
            rows.sort()
            self._rates[cur] = ([d for d, _ in rows], [Fraction(r) for _, r in rows])
        self._pv_by_day: dict[str, dict[date, list[PV]]] = {}
        self._bk_by_day: dict[str, dict[date, list[BK]]] = {}
        self._sv_by_day: dict[str, dict[date, list[SV]]] = {}
        self._first_confirmed: dict[str, dict[str, datetime]] = {}
        for tid in self.tenants:
            pv_days: dict[date, list[PV]] = defaultdict(list)
            for pv in raw["pageviews"].get(tid, []):
                pv_days[pv.ts.date()].append(pv)
            bk_days: dict[date, list[BK]] = defaultdict(list)
            first: dict[str, datetime] = {}
            for bk in raw["bookings"].get(tid, []):
                bk_days[bk.booked_at.date()].append(bk)
                if bk.status == "confirmed" and (bk.customer_id not in first or bk.booked_at < first[bk.customer_id]):
                    first[bk.customer_id] = bk.booked_at
            sv_days: dict[date, list[SV]] = defaultdict(list)
            for sv in raw["surveys"].get(tid, []):
                sv_days[sv.ts.date()].append(sv)
            self._pv_by_day[tid] = dict(pv_days)
            self._bk_by_day[tid] = dict(bk_days)
            self._sv_by_day[tid] = dict(sv_days)
            self._first_confirmed[tid] = first
        self._conv_cache: dict[tuple[str, str, date, str], Fraction] = {}
        self._stats_cache: dict[tuple, dict[str, Any]] = {}

    # ---- currency

    def known_currency(self, currency: str) -> bool:
        return currency == "USD" or currency in self._rates

    def rate(self, currency: str, day: date) -> Fraction:
        """USD per unit: the latest row on or before `day`, else the earliest after it."""
        if currency == "USD":
            return Fraction(1)
        if currency not in self._rates:
            raise UnknownCurrency(currency)
        days, values = self._rates[currency]
        i = bisect.bisect_right(days, day) - 1
        return values[i] if i >= 0 else values[0]

    def convert(self, amount: Decimal, currency: str, day: date, target: str) -> Fraction:
        key = (str(amount), currency, day, target)
        hit = self._conv_cache.get(key)
        if hit is None:
            hit = Fraction(amount) * self.rate(currency, day) / self.rate(target, day)
            self._conv_cache[key] = hit
        return hit

    def target_currency(self, tenant_id: str, currency: str | None) -> str:
        target = currency or self.tenants[tenant_id]["currency"]
        if not self.known_currency(target):
            raise UnknownCurrency(target)
        return target

    # ---- row selection

    def _rows(self, by_day: dict[date, list], start: date, end: date) -> list:
        out: list = []
        if not by_day:
            return out
        day = start
        while day <= end:
            rows = by_day.get(day)
            if rows:
                out.extend(rows)
            day += ONE_DAY
        return out

    def pageviews(self, tid: str, start: date, end: date) -> list[PV]:
        return self._rows(self._pv_by_day[tid], start, end)

    def bookings(self, tid: str, start: date, end: date) -> list[BK]:
        return self._rows(self._bk_by_day[tid], start, end)

    def surveys(self, tid: str, start: date, end: date) -> list[SV]:
        return self._rows(self._sv_by_day[tid], start, end)

    # ---- the metric definitions, over given rows

    def _is_repeat(self, tid: str, bk: BK) -> bool:
        first = self._first_confirmed[tid].get(bk.customer_id)
        return first is not None and first < bk.booked_at  # strictly earlier; equal instants are not earlier

    def compute(self, tid: str, pvs: list[PV], bks: list[BK], svs: list[SV], target: str) -> dict[str, Any]:
        visitors = {pv.visitor_id for pv in pvs}
        sessions = {pv.session_id for pv in pvs}
        confirmed = [b for b in bks if b.status == "confirmed"]
        cancelled = [b for b in bks if b.status == "cancelled"]
        n_conf, n_canc = len(confirmed), len(cancelled)
        revenue = round_money(sum((self.convert(b.amount, b.currency, b.booked_at.date(), target) for b in confirmed), Fraction(0)))
        promoters = sum(1 for s in svs if s.score >= 9)
        detractors = sum(1 for s in svs if s.score <= 6)
        return {
            "UNIQUE_VISITORS": len(visitors),
            "SESSIONS": len(sessions),
            "PAGEVIEWS": len(pvs),
            "BOOKINGS": n_conf,
            "CANCELLATIONS": n_canc,
            "ROOM_NIGHTS": sum(b.nights * b.rooms for b in confirmed),
            "REVENUE": revenue,
            "AVERAGE_BOOKING_VALUE": round_money(Fraction(revenue) / n_conf) if n_conf else None,
            "CONVERSION_RATE": Fraction(n_conf, len(visitors)) if visitors else None,
            "CANCELLATION_RATE": Fraction(n_canc, n_conf + n_canc) if n_conf + n_canc else None,
            "REPEAT_BOOKING_RATE": (
                Fraction(sum(1 for b in confirmed if self._is_repeat(tid, b)), n_conf) if n_conf else None
            ),
            "NPS": Fraction(100 * (promoters - detractors), len(svs)) if svs else None,
        }

    def stats(self, tid: str, start: date, end: date, currency: str | None = None) -> dict[str, Any]:
        target = self.target_currency(tid, currency)
        key = (tid, start, end, target)
        hit = self._stats_cache.get(key)
        if hit is None:
            hit = self.compute(
                tid, self.pageviews(tid, start, end), self.bookings(tid, start, end), self.surveys(tid, start, end), target
            )
            self._stats_cache[key] = hit
        return hit

    # ---- API-shaped answers

    def key_metrics(self, tid: str, start: date, end: date, currency: str | None = None, previous: bool = True) -> dict:
        """KeyMetrics as metric-name -> value, with the target currency and previousPeriod."""
        target = self.target_currency(tid, currency)
        out = dict(self.stats(tid, start, end, target))
        out["currency"] = target
        if previous:
            ps, pe = previous_range(start, end)
            out["previousPeriod"] = self.key_metrics(tid, ps, pe, target, previous=False)
        return out

    def series(self, tid: str, metric: str, start: date, end: date, granularity: str, currency: str | None = None) -> list[tuple[date, Any]]:
        target = self.target_currency(tid, currency)
        return [(ps, self.stats(tid, ps, pe, target)[metric]) for ps, pe in periods(start, end, granularity)]

    def breakdown(self, tid: str, metric: str, dimension: str, start: date, end: date, currency: str | None = None) -> list[tuple[str, Any, Fraction | None]]:
        """Rows (key, value, share) with a non-zero, non-null value, largest first then key.

        Rows whose value is 0 or null may or may not be listed by the gateway
        (metrics.md does not say which dimension values are listed); the
        comparison in test_oracle.py accepts them only after these rows.
        """
        if not dimension_applies(metric, dimension):
            raise ValueError(f"{metric} by {dimension} is not a valid pairing")
        target = self.target_currency(tid, currency)
        pvs = self.pageviews(tid, start, end)
        bks = self.bookings(tid, start, end)
        pv_groups: dict[str, list[PV]] = defaultdict(list)
        bk_groups: dict[str, list[BK]] = defaultdict(list)
        if dimension == "CHANNEL":
            for pv in pvs:
                pv_groups[pv.channel].append(pv)
            for bk in bks:
                bk_groups[bk.channel].append(bk)
        elif dimension == "DEVICE":
            for pv in pvs:
                pv_groups[pv.device].append(pv)
        elif dimension == "COUNTRY":
            for pv in pvs:
                pv_groups[pv.country if pv.country is not None else "unknown"].append(pv)
        else:
            for pv in pvs:
                pv_groups[label(dimension, pv)].append(pv)
        keys = set(pv_groups) | set(bk_groups)
        values = {k: self.compute(tid, pv_groups.get(k, []), bk_groups.get(k, []), [], target)[metric] for k in keys}
        return self._rows_with_share(values)

    @staticmethod
    def _rows_with_share(values: dict[str, Any]) -> list[tuple[str, Any, Fraction | None]]:
        total = sum((Fraction(v) for v in values.values() if v is not None), Fraction(0))
        rows = [(k, v) for k, v in values.items() if v is not None and v != 0]
        rows.sort(key=lambda kv: (-Fraction(kv[1]), kv[0]))
        return [(k, v, Fraction(v) / total) for k, v in rows]

    def login_status(self, tid: str, start: date, end: date) -> list[tuple[str, Any, Fraction | None]]:
        pvs = self.pageviews(tid, start, end)
        visitors = {pv.visitor_id for pv in pvs}
        logged_in = {pv.visitor_id for pv in pvs if pv.logged_in}
        return self._rows_with_share({"logged_in": len(logged_in), "logged_out": len(visitors - logged_in)})

    def funnel(self, tid: str, start: date, end: date) -> list[tuple[str, int, Fraction | None]]:
        pvs = self.pageviews(tid, start, end)
        out = []
        previous: int | None = None
        for name, step in FUNNEL_STEPS:
            n = len({pv.session_id for pv in pvs if pv.step == step})
            conv = None if previous is None or previous == 0 else Fraction(n, previous)
            out.append((name, n, conv))
            previous = n
        return out

    def charts(self, tid: str, start: date, end: date, currency: str | None = None) -> dict[str, Any]:
        return {
            "visitorsByChannel": self.breakdown(tid, "UNIQUE_VISITORS", "CHANNEL", start, end, currency),
            "loginStatus": self.login_status(tid, start, end),
            "bookingFunnel": self.funnel(tid, start, end),
            "revenueTrend": self.series(tid, "REVENUE", start, end, "MONTH", currency),
            "npsTrend": self.series(tid, "NPS", start, end, "QUARTER", currency),
            "rebookingTrend": self.series(tid, "REPEAT_BOOKING_RATE", start, end, "QUARTER", currency),
        }

    # ---- segmented funnel, attribution, retention (metrics.md "Segmented funnel, ...")

    def funnel_by(self, tid: str, dimension: str, start: date, end: date) -> dict[str, list[tuple[str, int, Fraction | None]]]:
        """segment -> funnel; a session's segment is the value of its earliest (ts, then id) pageview."""
        pvs = self.pageviews(tid, start, end)
        first: dict[str, PV] = {}
        for pv in pvs:
            old = first.get(pv.session_id)
            if old is None or (pv.ts, pv.id) < (old.ts, old.id):
                first[pv.session_id] = pv
        segment_of = {sid: label(dimension, pv) for sid, pv in first.items()}
        out = {}
        for segment in set(segment_of.values()):
            members = [pv for pv in pvs if segment_of[pv.session_id] == segment]
            steps, previous = [], None
            for name, step in FUNNEL_STEPS:
                n = len({pv.session_id for pv in members if pv.step == step})
                steps.append((name, n, None if previous is None or previous == 0 else Fraction(n, previous)))
                previous = n
            out[segment] = steps
        return out

    def _visitor_views(self, tid: str) -> dict[str, list[PV]]:
        cache = self.__dict__.setdefault("_views_cache", {})
        if tid not in cache:
            views: dict[str, list[PV]] = defaultdict(list)
            for rows in self._pv_by_day[tid].values():
                for pv in rows:
                    views[pv.visitor_id].append(pv)
            cache[tid] = views
        return cache[tid]

    def touch(self, tid: str, bk: BK, model: str, lookback_days: int) -> PV | None:
        """The credited pageview: same visitor, booked_at - lookback days <= ts <= booked_at."""
        if bk.visitor_id is None:
            return None
        low = bk.booked_at - timedelta(days=lookback_days)
        window = [pv for pv in self._visitor_views(tid).get(bk.visitor_id, []) if low <= pv.ts <= bk.booked_at]
        if not window:
            return None
        if model == "FIRST_TOUCH":
            return min(window, key=lambda pv: (pv.ts, pv.id))
        return max(window, key=lambda pv: (pv.ts, pv.id))

    def attribution(self, tid: str, model: str, dimension: str, start: date, end: date, lookback_days: int,
                    currency: str | None = None) -> dict[str, tuple[int, Decimal, Fraction]]:
        """key -> (bookings, revenue rounded per row, share of all the range's confirmed bookings)."""
        target = self.target_currency(tid, currency)
        confirmed = [b for b in self.bookings(tid, start, end) if b.status == "confirmed"]
        groups: dict[str, list[BK]] = defaultdict(list)
        for bk in confirmed:
            pv = self.touch(tid, bk, model, lookback_days)
            groups["(none)" if pv is None else label(dimension, pv)].append(bk)
        return {
            key: (
                len(members),
                round_money(sum((self.convert(b.amount, b.currency, b.booked_at.date(), target) for b in members), Fraction(0))),
                Fraction(len(members), len(confirmed)),
            )
            for key, members in groups.items()
        }

    def retention(self, tid: str, start: date, end: date, granularity: str) -> list[tuple[date, int, list[Fraction | None]]]:
        """Cohorts (clipped start, customers, returning shares); a following period counts its days up to `end`."""
        first = {c: t.date() for c, t in self._first_confirmed[tid].items() if start <= t.date() <= end}
        booked: dict[str, set[date]] = defaultdict(set)
        for bk in self.bookings(tid, start, end):
            if bk.status == "confirmed":
                booked[bk.customer_id].add(bk.booked_at.date())
        out = []
        for p_start, p_end in periods(start, end, granularity):
            cohort = {c for c, day in first.items() if p_start <= day <= p_end}
            shares: list[Fraction | None] = []
            following = period_end(period_start(p_start, granularity), granularity) + ONE_DAY
            while following <= end:
                last = min(period_end(following, granularity), end)
                back = {c for c in cohort if any(following <= day <= last for day in booked[c])}
                shares.append(Fraction(len(back), len(cohort)) if cohort else None)
                following = period_end(following, granularity) + ONE_DAY
            out.append((p_start, len(cohort), shares))
        return out
