"""Per-request loads of fx rates: only the currencies (and days) a conversion needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from strawberry.dataloader import DataLoader

from core.calendar import DayRange
from loaders import queries
from loaders.cached import CachedFacts
from loaders.facts import Rate
from loaders.periods import as_date
from loaders.rollup_tables import FX_VERSION

RatesKey = tuple[str, DayRange | None]  # currency, the days converted (None: every rate)
USD = "USD"


class FxLoaders:
    """`rows` runs a statement (Loaders._rows); `cached` is the result cache, None for none."""

    def __init__(self, rows: Callable[[Any], Awaitable[Sequence[Any]]], cached: CachedFacts | None) -> None:
        self._rows = rows
        self.cached = cached
        self.currency_rates: DataLoader[RatesKey, list[Rate]] = DataLoader(self._currency_rates)
        self.known_currencies: DataLoader[str, bool] = DataLoader(self._known_currencies)

    async def rates(self, currencies: Iterable[str], days: DayRange | None = None) -> dict[str, list[Rate]]:
        """The fx rates of these currencies only (none for USD): one statement per batch.

        With `days`, at least the rates a conversion over those days uses (queries.rates_query);
        without, all of them. USD goes through the loader too (without SQL): every caller then
        waits for the same batch, so the resolvers of a portfolio reach their next loads in the
        same tick.
        """
        wanted = sorted(set(currencies))
        found = await self.currency_rates.load_many([(code, days) for code in wanted])
        return {code: rows for code, rows in zip(wanted, found) if rows}

    async def known_currency(self, code: str) -> bool:
        """Whether `code` has any fx rate (USD always), without loading its rates."""
        return await self.known_currencies.load(code)

    async def latest_rates(self) -> list[tuple[str, Rate]]:
        rows = await self._rows(queries.latest_rates_query())
        return [(currency, Rate(as_date(day), Decimal(rate))) for currency, day, rate in rows]

    async def _currency_rates(self, keys: list[RatesKey]) -> list[list[Rate]]:
        codes = sorted({code for code, _ in keys})
        if self.cached is None:
            spans = [days for _, days in keys]
            # one statement for the batch: the span covering every range asked (a wider span
            # holds every rate a narrower one uses)
            span = None if None in spans else DayRange(min(d.start for d in spans), max(d.end for d in spans))
            found = await self._rates_sql([code for code in codes if code != USD], span)
            return [found.get(code, []) for code, _ in keys]
        # cached: whole currencies under the fx version, shared by every range and request
        loaded = await self.cached.exact(
            "fx", codes, (), date.min, lambda missing: self._rates_sql([c for c in missing if c != USD]), list,
            versions_of=FX_VERSION,
        )
        return [loaded[code] for code, _ in keys]

    async def _rates_sql(self, codes: list[str], days: DayRange | None = None) -> dict[str, list[Rate]]:
        out: dict[str, list[Rate]] = defaultdict(list)
        if codes:
            for currency, day, usd_per_unit in await self._rows(queries.rates_query(codes, days)):
                out[currency].append(Rate(as_date(day), Decimal(usd_per_unit)))
        return dict(out)

    async def _known_currencies(self, codes: list[str]) -> list[bool]:
        if self.cached is not None:  # the cached rates answer it without SQL once loaded
            found = await self.rates(codes)
            return [code == USD or code in found for code in codes]
        others = sorted({code for code in codes if code != USD})
        known = {row[0] for row in await self._rows(queries.known_currencies_query(others))} if others else set()
        return [code == USD or code in known for code in codes]
