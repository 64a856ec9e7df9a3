"""Loading what a computation needs, summed per group (a period, a channel, ...)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from datetime import date
from functools import partial
from typing import TypeVar

from core.calendar import DayRange
from core.errors import BadUserInput
from loaders.dataloaders import Loaders
from loaders.facts import EMPTY_TRAFFIC, BookingDay, SurveyDay, Traffic, TrafficMeasure, TrafficShape
from resolvers.measures import BookingSums, SurveySums, sum_bookings, sum_surveys
from resolvers.booking_days import DaySums, grouped, per_day
from resolvers.money import FxTable, Inexact, MissingRate

K = TypeVar("K", bound=Hashable)


async def fx_table(loaders: Loaders, currencies: Iterable[str], days: DayRange | None = None) -> FxTable:
    """The rates of the currencies involved only (and of the days involved), not the whole table.

    One table per request and (currencies, days): a portfolio's tenants share its looked-up rates."""
    tables = loaders.derived("fx_tables", partial(_fx_tables, loaders))
    return await tables.load((frozenset(currencies), days))


async def _fx_tables(loaders: Loaders, keys: list[tuple[frozenset[str], DayRange | None]]) -> list[FxTable]:
    return list(await asyncio.gather(*(_fx_table(loaders, *key) for key in keys)))


async def _fx_table(loaders: Loaders, currencies: frozenset[str], days: DayRange | None) -> FxTable:
    return FxTable(await loaders.fx.rates(currencies, days))


async def bookings_by(
    loaders: Loaders,
    tenant_id: str,
    days: DayRange,
    currency: str,
    group: Callable[[BookingDay], K],
    by_channel: bool = False,
    money: bool = True,
) -> dict[K, BookingSums]:
    """`money=False`: revenue is left at 0 and no fx rate is loaded (counts and rates only)."""
    rows = await loaders.bookings.load((tenant_id, days, by_channel))
    # the rates of the rows' currencies and the target's, over the range
    fx = await fx_table(loaders, {row.currency for row in rows if row.amount} | {currency}, days) if money else None
    groups: dict[K, list[BookingDay]] = defaultdict(list)
    for row in rows:
        groups[group(row)].append(row)
    try:
        return {key: sum_bookings(members, currency, fx) for key, members in groups.items()}
    except MissingRate as error:
        raise RuntimeError(f"tenant {tenant_id}: {error}") from error


async def bookings_by_day(
    loaders: Loaders, tenant_id: str, days: DayRange, currency: str, key: Callable[[date], K], money: bool = True
) -> dict[K, BookingSums]:
    """bookings_by with rows grouped by key(row.day), summed from the range's per-day sums,
    which every total and series of the range shares (once per request)."""
    daily = await loaders.derived("booking_days", partial(_booking_days, loaders)).load((tenant_id, days, currency, money))
    if daily is None:  # amounts or rates of more decimals than a store holds: the row path
        return await bookings_by(loaders, tenant_id, days, currency, lambda row: key(row.day), money=money)
    return grouped(daily, key, money)


async def _booking_days(
    loaders: Loaders, keys: list[tuple[str, DayRange, str, bool]]
) -> list[DaySums | None | BaseException]:
    # gathered: every key reaches the bookings loader in one batch; one tenant's failure stays its own
    with_money = {key[:3]: asyncio.ensure_future(_per_day(loaders, *key[:3], True)) for key in keys if key[3]}

    async def one(key: tuple[str, DayRange, str, bool]) -> DaySums | None:
        shared = with_money.get(key[:3])
        if shared is None:
            return await _per_day(loaders, *key)
        try:  # counts only (a trend of rates) read the same counts from the days summed with money
            return await asyncio.shield(shared)
        except RuntimeError:  # a booking currency without rates: counts need none, so sum without
            if key[3]:
                raise
            return await _per_day(loaders, *key)

    return await asyncio.gather(*(one(key) for key in keys), return_exceptions=True)


async def _per_day(loaders: Loaders, tenant_id: str, days: DayRange, currency: str, money: bool) -> DaySums | None:
    columns = await loaders.booking_columns.load((tenant_id, days))
    if columns is None:
        return None
    fx = await fx_table(loaders, columns.paid_currencies() | {currency}, days) if money else None
    try:
        return per_day(columns, currency, fx)
    except Inexact:
        return None
    except MissingRate as error:
        raise RuntimeError(f"tenant {tenant_id}: {error}") from error


async def bookings_total(
    loaders: Loaders, tenant_id: str, days: DayRange, currency: str, money: bool = True
) -> BookingSums:
    """Memoised per request: KeyMetrics' eight booking fields share one sum and one conversion."""
    totals = loaders.derived("bookings_total", partial(_bookings_totals, loaders))
    return await totals.load((tenant_id, days, currency, money))


async def _bookings_totals(loaders: Loaders, keys: list[tuple[str, DayRange, str, bool]]) -> list[BookingSums | BaseException]:
    # gathered, so every key reaches the bookings loader in the same batch; one tenant's
    # failure (a currency without rates) stays that tenant's
    return await asyncio.gather(*(_bookings_total(loaders, *key) for key in keys), return_exceptions=True)


async def _bookings_total(
    loaders: Loaders, tenant_id: str, days: DayRange, currency: str, money: bool
) -> BookingSums:
    sums = await bookings_by_day(loaders, tenant_id, days, currency, lambda _day: None, money=money)
    return sums.get(None, BookingSums())


async def check_retained(loaders: Loaders, tenant_id: str, first_day: date) -> None:
    """Raw pageviews and survey answers before a tenant's retention cutoff are gone (their daily
    rollups are kept): a range that needs the raw rows is refused instead of answered from what
    is left."""
    kept_from = await loaders.kept_from.load(tenant_id)
    if kept_from is not None and first_day < kept_from:
        raise BadUserInput(
            f"raw pageviews and survey answers before {kept_from} were removed by this tenant's retention "
            f"policy; choose a range that starts on or after {kept_from}",
            "range",
        )


async def surveys_by(
    loaders: Loaders, tenant_id: str, days: DayRange, group: Callable[[SurveyDay], K]
) -> dict[K, SurveySums]:
    if loaders.reads_raw("surveys"):
        await check_retained(loaders, tenant_id, days.start)
    groups: dict[K, list[SurveyDay]] = defaultdict(list)
    for row in await loaders.surveys.load((tenant_id, days)):
        groups[group(row)].append(row)
    return {key: sum_surveys(members) for key, members in groups.items()}


async def surveys_total(loaders: Loaders, tenant_id: str, days: DayRange) -> SurveySums:
    return (await surveys_by(loaders, tenant_id, days, lambda _row: None)).get(None, SurveySums())


async def traffic_by(
    loaders: Loaders, tenant_id: str, days: DayRange, shape: TrafficShape, *measures: TrafficMeasure
) -> dict[object, Traffic]:
    """Only `measures` are computed (the fields of one request asking for different measures
    of the same range and shape still share one statement)."""
    if loaders.reads_raw("pageviews", shape):
        await check_retained(loaders, tenant_id, days.start)
    return await loaders.traffic.load((tenant_id, days, shape, frozenset(measures)))


async def traffic_total(loaders: Loaders, tenant_id: str, days: DayRange, *measures: TrafficMeasure) -> Traffic:
    return (await traffic_by(loaders, tenant_id, days, None, *measures)).get(None, EMPTY_TRAFFIC)
