"""Per-request DataLoaders: every batch runs one statement per distinct (range, shape)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader

from core.calendar import DayRange
from core.vocabulary import FUNNEL_STEPS, Granularity
from loaders import pack_counts, queries
from loaders.analytics_loaders import AnalyticsLoaders
from loaders.batching import by_tenant
from loaders.booking_columns import BookingColumns
from loaders.cached import CachedFacts
from loaders.facts import (
    ALL_MEASURES,
    BookingDay,
    SurveyDay,
    TenantRow,
    Traffic,
    TrafficMeasure,
    TrafficShape,
)
from loaders.fingerprint import fingerprint_query
from loaders.fx_loaders import FxLoaders
from loaders.pack_reads import PackReads
from loaders.peers import active_query, segment_members_query
from loaders.periods import as_date
from loaders.reads import Reads
from loaders.retention import cutoffs_query, first_kept_day

# tenant, range, shape and (optionally; all without) the measures wanted
TrafficKey = tuple[str, DayRange, TrafficShape] | tuple[str, DayRange, TrafficShape, frozenset[TrafficMeasure]]
BookingsKey = tuple[str, DayRange, bool]
SurveysKey = tuple[str, DayRange]
ActiveKey = tuple[str, DayRange]
FingerprintKey = tuple[str, tuple[str, ...]]  # tenant, the tables to fingerprint
ROWS_PER_STEP = 250  # rows parsed per step of the event loop (a few ms on aiomysql)


class Loaders:
    """Fresh for every request, so nothing cached here outlives it."""

    def __init__(self, engine: AsyncEngine, rollups: bool = True, cached: CachedFacts | None = None) -> None:
        self.engine = engine
        self.cached = cached  # None: every load goes to SQL
        self.reads = Reads()  # what this request read (for the whole-response cache)
        # facts from the exact rollups' packs (loaders/packs.py) or from the raw rows (queries.py)
        self.rollups = rollups
        self.tenants = DataLoader(self._tenants)
        self.data_ranges = DataLoader(self._data_ranges)
        self.traffic: DataLoader[TrafficKey, dict[Any, Traffic]] = DataLoader(self._traffic)
        self.bookings: DataLoader[BookingsKey, list[BookingDay]] = DataLoader(self._bookings)
        self.booking_columns: DataLoader[tuple[str, DayRange], BookingColumns | None] = DataLoader(self._booking_columns)
        self.surveys: DataLoader[SurveysKey, list[SurveyDay]] = DataLoader(self._surveys)
        self._inflight: set[asyncio.Task[Sequence[Any]]] = set()
        self.packs = PackReads(self._rows, engine.dialect.name)
        self.fx = FxLoaders(self._rows, cached)  # fx rates, and which currencies have them
        self._derived: dict[str, DataLoader[Any, Any]] = {}
        # intelligence: benchmark peers and the forecast cache's data fingerprint
        self.segment_members: DataLoader[str, list[str]] = DataLoader(self._segment_members)
        self.active: DataLoader[ActiveKey, bool] = DataLoader(self._active)
        self.fingerprints: DataLoader[FingerprintKey, str] = DataLoader(self._fingerprints)
        # segmented funnel, attribution, retention cohorts, alert rules and events
        self.analytics = AnalyticsLoaders(self._rows, self.reads)
        # first day whose raw pageviews and survey answers are kept (retention), per tenant
        self.kept_from: DataLoader[str, date | None] = DataLoader(self._kept_from)

    async def _rows(self, statement: Any) -> Sequence[Any]:
        # Shielded and tracked: when a sibling field fails, graphql-core stops waiting for the
        # others, and their SQL must still finish and hand its connection back (see settle()).
        task = asyncio.ensure_future(self._execute(statement))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return await asyncio.shield(task)

    async def _execute(self, statement: Any) -> Sequence[Any]:
        # streamed in parts, handing the loop back between them: a portfolio's thousands of rows
        # parsed in one go held the event loop for ~100 ms (the driver parses rows in Python)
        rows: list[Any] = []
        async with self.engine.connect() as conn:
            result = await conn.stream(statement)
            async for part in result.partitions(ROWS_PER_STEP):
                rows.extend(part)
                await asyncio.sleep(0)
        return rows

    async def settle(self) -> None:
        """Wait for statements this request started that nobody awaits any more."""
        while self._inflight:
            await asyncio.wait(set(self._inflight))

    async def _tenants(self, ids: list[str]) -> list[TenantRow | None]:
        self.reads.touch(ids)
        rows = await self._rows(queries.tenants_query(sorted(set(ids))))
        found = {row.id: TenantRow(row.id, row.name, row.segment, row.country, row.currency) for row in rows}
        return [found.get(tenant_id) for tenant_id in ids]

    async def _data_ranges(self, ids: list[str]) -> list[tuple[date, date] | None]:
        self.reads.touch(ids)
        spans: dict[str, tuple[date, date]] = {}
        for row in await self._rows(queries.data_range_query(sorted(set(ids)), self.rollups)):
            first, last = _day(row.first), _day(row.last)
            if row.tenant_id in spans:
                old = spans[row.tenant_id]
                first, last = min(first, old[0]), max(last, old[1])
            spans[row.tenant_id] = (first, last)
        return [spans.get(tenant_id) for tenant_id in ids]

    async def _traffic(self, keys: list[TrafficKey]) -> list[dict[Any, Traffic]]:
        """One statement per (range, shape) of the batch, computing the union of the measures
        its keys ask for (a key without measures, or with none, asks for all)."""
        union: dict[tuple[DayRange, TrafficShape], set[TrafficMeasure]] = defaultdict(set)
        for key in keys:
            union[(key[1], key[2])] |= set(key[3]) if len(key) > 3 and key[3] else ALL_MEASURES
        merged = [(key[0], key[1], key[2], _measures_key(union[(key[1], key[2])])) for key in keys]

        async def fetch(ids: list[str], rest: tuple[Any, ...]) -> dict[str, dict[Any, Traffic]]:
            days, shape, names = rest
            self.reads.touch(ids, days.end)
            measures = {TrafficMeasure(name) for name in names.split(",")}
            if self.cached is None:
                return await self._traffic_sql(ids, days, shape, measures)
            return await self.cached.exact(
                "traffic", ids, rest, days.end, lambda missing: self._traffic_sql(missing, days, shape, measures), dict
            )

        return await by_tenant(merged, fetch, dict)

    async def _traffic_sql(
        self, ids: list[str], days: DayRange, shape: TrafficShape, measures: set[TrafficMeasure]
    ) -> dict[str, dict[Any, Traffic]]:
        # the rollups hold the dimensions of the dashboard; UTM splits are read from the raw rows
        if self.rollups and pack_counts.covers(shape):
            return await self.packs.traffic(ids, days, shape, measures)
        out: dict[str, dict[Any, Traffic]] = defaultdict(dict)
        periods = isinstance(shape, Granularity)
        for row in await self._rows(queries.traffic_query(ids, days, shape, measures)):
            values = row._mapping
            # a period's start is a date, whichever type the dialect returns (MariaDB: a string)
            key = as_date(row.key) if periods else row.key
            # SUM() comes back as a DECIMAL on MariaDB; NULL for no rows
            out[row.tenant_id][key] = Traffic(
                int(values.get("visitors") or 0),
                int(values.get("sessions") or 0),
                int(values.get("pageviews") or 0),
                int(values.get("logged_in") or 0),
                tuple(int(values.get(f"funnel{i}") or 0) for i in range(len(FUNNEL_STEPS))),
            )
        return out

    async def _bookings(self, keys: list[BookingsKey]) -> list[list[BookingDay]]:
        async def fetch(ids: list[str], rest: tuple[Any, ...]) -> dict[str, list[BookingDay]]:
            days, by_channel = rest
            self.reads.touch(ids, days.end)
            if self.cached is None:
                return await self._bookings_sql(ids, days, by_channel)
            return await self.cached.monthly(
                "bookings", ids, days, (by_channel,),
                lambda need, span: self._bookings_sql(need, span, by_channel), attrgetter("day"),
            )

        return await by_tenant(keys, fetch, list)

    async def _bookings_sql(self, ids: list[str], days: DayRange, by_channel: bool) -> dict[str, list[BookingDay]]:
        if self.rollups:
            return await self.packs.booking_days(ids, days, by_channel)
        out: dict[str, list[BookingDay]] = defaultdict(list)
        for i, row in enumerate(await self._rows(queries.bookings_query(ids, days, by_channel)), 1):
            if i % ROWS_PER_STEP == 0:
                await asyncio.sleep(0)  # a portfolio's thousands of days: the loop's turn between parts
            tenant_id, day, currency, channel, confirmed, cancelled, nights, cents, repeats = row
            cents = int(cents or 0)
            out[tenant_id].append(
                BookingDay(
                    as_date(day), currency, channel, int(confirmed), int(cancelled),
                    int(nights or 0), Decimal(cents).scaleb(-2), int(repeats or 0), cents,
                )
            )
        return out

    async def _booking_columns(self, keys: list[tuple[str, DayRange]]) -> list[BookingColumns | None]:
        """The bookings loader's rows without channels, as columns (None: amounts of more than
        two decimals). Made from the packs without row objects when read uncached from the
        rollups; from the rows otherwise."""
        if not self.rollups or self.cached is not None:
            rows = await self.bookings.load_many([(tenant_id, days, False) for tenant_id, days in keys])
            return [BookingColumns.of_rows(found) for found in rows]

        async def fetch(ids: list[str], rest: tuple[Any, ...]) -> dict[str, BookingColumns]:
            (days,) = rest
            self.reads.touch(ids, days.end)
            return await self.packs.booking_columns(ids, days)

        return await by_tenant(keys, fetch, BookingColumns.empty)

    async def _surveys(self, keys: list[SurveysKey]) -> list[list[SurveyDay]]:
        async def fetch(ids: list[str], rest: tuple[Any, ...]) -> dict[str, list[SurveyDay]]:
            (days,) = rest
            self.reads.touch(ids, days.end)
            if self.cached is None:
                return await self._surveys_sql(ids, days)
            return await self.cached.monthly("surveys", ids, days, (), self._surveys_sql, attrgetter("day"))

        return await by_tenant(keys, fetch, list)

    async def _kept_from(self, ids: list[str]) -> list[date | None]:
        self.reads.touch(ids)
        try:
            rows = await self._rows(cutoffs_query(sorted(set(ids))))
        except DBAPIError as error:
            if "retention_policies" not in str(error):
                raise
            # a store created before retention existed: no policy can have been applied
            # (`analytics-gateway init-db` adds the table)
            return [None] * len(ids)
        found = {tenant_id: first_kept_day(cutoff) for tenant_id, cutoff in rows}
        return [found.get(tenant_id) for tenant_id in ids]

    def reads_raw(self, source: str, shape: TrafficShape = None) -> bool:
        """Whether a load of `source` ("pageviews" or "surveys") reads raw rows, which a retention
        policy may have dropped, rather than the rollups, which it keeps."""
        return not self.rollups or (source == "pageviews" and not pack_counts.covers(shape))

    async def _surveys_sql(self, ids: list[str], days: DayRange) -> dict[str, list[SurveyDay]]:
        out: dict[str, list[SurveyDay]] = defaultdict(list)
        if self.rollups:
            return await self.packs.survey_days(ids, days)
        for tenant_id, day, answers, promoters, detractors in await self._rows(queries.surveys_query(ids, days)):
            out[tenant_id].append(SurveyDay(as_date(day), int(answers), int(promoters), int(detractors)))
        return out

    async def _segment_members(self, segments: list[str]) -> list[list[str]]:
        self.reads.outside_versions()  # benchmark peers: other tenants' data
        members: dict[str, list[str]] = defaultdict(list)
        for segment, tenant_id in await self._rows(segment_members_query(sorted(set(segments)))):
            members[segment].append(tenant_id)
        return [sorted(members.get(segment, [])) for segment in segments]

    async def _active(self, keys: list[ActiveKey]) -> list[bool]:
        """Whether each tenant has a pageview or booking in the range: one statement per range."""
        self.reads.outside_versions()
        async def fetch(ids: list[str], rest: tuple[Any, ...]) -> dict[str, bool]:
            (days,) = rest
            return {tenant_id: True for (tenant_id,) in await self._rows(active_query(ids, days, self.rollups))}

        return await by_tenant(keys, fetch, bool)

    async def _fingerprints(self, keys: list[FingerprintKey]) -> list[str]:
        self.reads.outside_versions()  # forecasts: fits and readiness live in the forecaster
        async def fetch(ids: list[str], rest: tuple[Any, ...]) -> dict[str, str]:
            (sources,) = rest
            parts: dict[str | None, list[str]] = defaultdict(list)
            for tenant_id, source, n, top, total in await self._rows(fingerprint_query(ids, sources)):
                parts[tenant_id].append(f"{source}:{n}:{top}:{total}")
            shared = parts.pop(None, [])  # fx rates belong to every tenant
            return {tenant_id: ",".join(sorted(parts.get(tenant_id, []) + shared)) for tenant_id in ids}

        return await by_tenant(keys, fetch, str)

    def derived(self, name: str, batch: Callable[[list[Any]], Awaitable[list[Any]]]) -> DataLoader[Any, Any]:
        """A per-request DataLoader for values computed from loads (e.g. summed bookings).

        The layers above memoise their derived values here, by key, so fields that need the
        same value share one computation, and a portfolio's tenants share one batch.
        """
        if name not in self._derived:
            self._derived[name] = DataLoader(batch)
        return self._derived[name]

def _measures_key(measures: set[TrafficMeasure]) -> str:
    """Measures as a stable string: part of the batch key and of the cache key."""
    return ",".join(sorted(measure.value for measure in measures))


def _day(value: object) -> date:
    return value.date() if isinstance(value, datetime) else as_date(value)

