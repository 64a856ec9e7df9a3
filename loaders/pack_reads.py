"""Per-request reads of the rollups' packs (loaders/packs.py), decoded and counted off the loop.

A range's traffic packs are read and decoded once per request: the totals and the splits of one
range (a dashboard's metrics and its charts) are counted from the same records. Decoding and
counting run in worker threads: a portfolio's take tens of milliseconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence, Set
from typing import Any

from core.calendar import DayRange
from core.vocabulary import Dimension
from loaders import booking_packs, pack_counts, packs, survey_packs, traffic_packs
from loaders.booking_columns import BookingColumns
from loaders.facts import BookingDay, SurveyDay, Traffic, TrafficMeasure, TrafficShape

MYSQL_FAMILY = ("mysql", "mariadb")


class PackReads:
    """`rows` runs a statement (Loaders._rows); `dialect` picks how traffic packs are read."""

    def __init__(self, rows: Callable[[Any], Awaitable[Sequence[Any]]], dialect: str) -> None:
        self._rows = rows
        self._weekly = dialect in MYSQL_FAMILY  # a row per tenant and week (traffic_packs.weeks_query)
        self._traffic: dict[tuple[tuple[str, ...], DayRange], asyncio.Future[pack_counts.Packs]] = {}
        self._label_read: asyncio.Future[dict[int, str]] | None = None

    async def traffic(
        self, ids: list[str], days: DayRange, shape: TrafficShape, measures: Set[TrafficMeasure]
    ) -> dict[str, dict[Any, Traffic]]:
        labelled = isinstance(shape, Dimension) and shape in pack_counts.FIELDS
        found, labels = await asyncio.gather(self._packs(ids, days), self._labels() if labelled else _nothing())
        return await asyncio.to_thread(pack_counts.count, found, shape, measures, labels)

    async def booking_days(self, ids: list[str], days: DayRange, by_channel: bool) -> dict[str, list[BookingDay]]:
        found, labels = await asyncio.gather(
            self._rows(booking_packs.packs_query(ids, days)), self._labels() if by_channel else _nothing()
        )
        return await asyncio.to_thread(booking_packs.booking_days, found, days, by_channel, labels if by_channel else None)

    async def booking_columns(self, ids: list[str], days: DayRange) -> dict[str, BookingColumns]:
        found = await self._rows(booking_packs.packs_query(ids, days))
        return await asyncio.to_thread(booking_packs.booking_columns, found, days)

    async def survey_days(self, ids: list[str], days: DayRange) -> dict[str, list[SurveyDay]]:
        found = await self._rows(survey_packs.packs_query(ids, days))
        return await asyncio.to_thread(survey_packs.survey_days, found, days)

    def _labels(self) -> asyncio.Future[dict[int, str]]:
        """The codes of dimension values in packs, read once per request."""
        if self._label_read is None:
            self._label_read = asyncio.ensure_future(self._read_labels())
        return asyncio.shield(self._label_read)  # shared: one waiter's cancellation is not the others'

    async def _read_labels(self) -> dict[int, str]:
        return {int(code): value for code, value in await self._rows(packs.labels_query())}

    def _packs(self, ids: list[str], days: DayRange) -> asyncio.Future[pack_counts.Packs]:
        key = (tuple(sorted(ids)), days)
        if key not in self._traffic:
            self._traffic[key] = asyncio.ensure_future(self._decoded(ids, days))
        return asyncio.shield(self._traffic[key])  # shared: one waiter's cancellation is not the others'

    async def _decoded(self, ids: list[str], days: DayRange) -> pack_counts.Packs:
        if self._weekly:
            found = await asyncio.to_thread(pack_counts.decoded_weeks, await self._rows(traffic_packs.weeks_query(ids, days)))
            if found is not None:  # None: a week came back cut short (group_concat_max_len)
                return found
        return await asyncio.to_thread(pack_counts.decoded, await self._rows(traffic_packs.packs_query(ids, days)))


async def _nothing() -> dict[int, str]:
    return {}
