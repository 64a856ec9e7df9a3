"""Loader-level result caching: per tenant, data version, range, shape and currency.

Two kinds of entries:
* exact: one answer for one (tenant, range, shape): traffic, whose distinct counts do not add up
  across days, so only the very same range can reuse it;
* monthly: the per-day rows of one calendar month (bookings, surveys). Any range is the months
  it touches, each filtered to the range's days: exact, because the rows are per UTC day, and
  overlapping dashboards reuse each other's months.
Every key holds the tenant id and its data version (loaders/versions.py), so a write makes the
old entries unreachable at once; TTLs only bound memory (long for periods closed long ago).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from cache.flights import Flights
from cache.replicas import ReplicaFlights
from cache.results import ResultCache
from core.calendar import DayRange

V = TypeVar("V")
Row = TypeVar("Row")


class Versions(Protocol):
    async def get_many(self, tenant_ids: Sequence[str]) -> dict[str, int]: ...


@dataclass(frozen=True)
class Ttl:
    closed: float = 3600.0  # periods that ended more than `settle_days` ago
    open: float = 30.0  # periods that touch the last few days, where data still arrives
    settle_days: int = 2

    def of(self, last_day: date) -> float:
        today = datetime.now(UTC).date()
        return self.closed if last_day < today - timedelta(days=self.settle_days) else self.open


def _key(*parts: object) -> str:
    return json.dumps([str(part) for part in parts], separators=(",", ":"))


def _shape(rest: tuple[Hashable, ...]) -> str:
    return "|".join(
        f"{part.start}..{part.end}" if isinstance(part, DayRange) else str(getattr(part, "value", part))
        for part in rest
    )


def months(days: DayRange) -> list[date]:
    first, out = days.start.replace(day=1), []
    while first <= days.end:
        out.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    return out


def month_range(first: date, last: date) -> DayRange:
    return DayRange(first, (last + timedelta(days=32)).replace(day=1) - timedelta(days=1))


class CachedFacts:
    def __init__(
        self, cache: ResultCache, versions: Versions, ttl: Ttl, flights: Flights, replicas: ReplicaFlights | None = None
    ) -> None:
        self.cache, self.versions, self.ttl, self.flights = cache, versions, ttl, flights
        self.replicas = replicas  # with a shared Redis: one replica computes, the others wait

    async def _fill(
        self, flight: Hashable, keys: list[str], compute: Callable[[], Awaitable[list[Any]]]
    ) -> list[Any]:
        """Missing entries: computed (and stored) once per process, and once across replicas."""
        shared = compute if self.replicas is None else (lambda: self.replicas.run(keys, compute))  # type: ignore[union-attr]
        return await self.flights.run(flight, shared)

    async def exact(
        self,
        kind: str,
        ids: list[str],
        rest: tuple[Hashable, ...],
        last_day: date,
        load: Callable[[list[str]], Awaitable[dict[str, V]]],
        empty: Callable[[], V],
        versions_of: str | None = None,
    ) -> dict[str, V]:
        """`versions_of`: shared data (fx rates) versioned as a whole under that id."""
        if versions_of is None:
            versions = await self.versions.get_many(ids)
        else:
            shared = (await self.versions.get_many([versions_of])).get(versions_of, 0)
            versions = dict.fromkeys(ids, shared)
        keys = {tid: _key(kind, tid, versions.get(tid, 0), _shape(rest)) for tid in ids}
        found = dict(zip(ids, await self.cache.get_many([keys[tid] for tid in ids])))
        missing = [tid for tid in ids if found[tid] is None]
        if missing:
            flight = (kind, tuple(missing), tuple(versions.get(t, 0) for t in missing), rest)
            wanted = [keys[tid] for tid in missing]

            async def compute() -> list[V]:
                loaded = await load(missing)
                fresh = [loaded.get(tid, empty()) for tid in missing]
                await self.cache.set_many(list(zip(wanted, fresh)), self.ttl.of(last_day))
                return fresh

            found.update(zip(missing, await self._fill(flight, wanted, compute)))
        return found

    async def monthly(
        self,
        kind: str,
        ids: list[str],
        days: DayRange,
        extra: tuple[Hashable, ...],
        load: Callable[[list[str], DayRange], Awaitable[dict[str, list[Row]]]],
        day_of: Callable[[Row], date],
    ) -> dict[str, list[Row]]:
        versions = await self.versions.get_many(ids)
        wanted = months(days)
        keys = {(t, m): _key(kind, t, versions.get(t, 0), m, _shape(extra)) for t in ids for m in wanted}
        order = list(keys)
        chunks = dict(zip(order, await self.cache.get_many([keys[k] for k in order])))
        missing = sorted({m for (t, m), rows in chunks.items() if rows is None})
        if missing:
            need = sorted({t for (t, m), rows in chunks.items() if rows is None})
            span = month_range(missing[0], missing[-1])
            flight = (kind, tuple(need), tuple(versions.get(t, 0) for t in need), span, extra)
            filled = [(t, m) for t in need for m in months(span)]

            async def compute() -> list[list[Row]]:
                fresh = self._split(need, span, await load(need, span), day_of)
                by_ttl: dict[float, list[tuple[str, list[Row]]]] = {}
                for (t, month), rows in fresh.items():
                    ttl = self.ttl.of(month_range(month, month).end)
                    by_ttl.setdefault(ttl, []).append((_key(kind, t, versions.get(t, 0), month, _shape(extra)), rows))
                for ttl, pairs in by_ttl.items():
                    await self.cache.set_many(pairs, ttl)
                return [fresh[k] for k in filled]

            entries = [_key(kind, t, versions.get(t, 0), m, _shape(extra)) for t, m in filled]
            values = await self._fill(flight, entries, compute)
            chunks.update({k: v for k, v in zip(filled, values) if k in chunks})
        return {
            t: [row for m in wanted for row in chunks[(t, m)] if day_of(row) in days] for t in ids
        }

    @staticmethod
    def _split(
        need: list[str], span: DayRange, loaded: dict[str, list[Row]], day_of: Callable[[Row], date]
    ) -> dict[tuple[str, date], list[Row]]:
        out: dict[tuple[str, date], list[Row]] = {(t, m): [] for t in need for m in months(span)}
        for tenant_id in need:
            for row in loaded.get(tenant_id, []):
                out[(tenant_id, day_of(row).replace(day=1))].append(row)
        return out

