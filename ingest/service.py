"""The write path shared by the mutations, the bulk endpoint and the CSV import.

validate every item -> (all-or-nothing: stop if any is invalid) -> one transaction over the
chunks -> commit -> bump the data version -> notify the listeners -> answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from ingest.kinds import Kind
from ingest.notify import BookingChange, WriteListeners, Written
from ingest.queue import WriteQueue
from ingest.result import ErrorList, ItemError, Outcome
from ingest.validation import Checks, validate
from loaders.rollup_delta import add_pageviews_in
from loaders.rollup_refresh import refresh_days_in
from loaders.rollup_tables import FX_VERSION
from loaders.versions import DataVersions
from loaders.writes import all_tenant_ids, is_retryable, lock_tenant, rated_currencies, tenant_exists, write_chunk

log = logging.getLogger("gateway.ingest")
Item = tuple[int, dict[str, Any]]  # (index or line number, row)
Chunks = Callable[[], Iterable[list[Item]]]  # re-iterable: a transaction may be retried
FIELD_NAMES = {"event_id": "eventId", "booking_ref": "bookingRef", "response_id": "responseId"}
DAY_COLUMNS = {Kind.PAGEVIEWS: "ts", Kind.BOOKINGS: "booked_at", Kind.SURVEYS: "ts", Kind.FX: "day"}


class UnknownTenant(Exception):
    pass


@dataclass(frozen=True)
class IngestPolicy:
    max_batch: int = 1_000  # items per mutation call
    clock_skew: timedelta = timedelta(minutes=5)
    chunk_rows: int = 5_000  # rows per statement group inside the one transaction
    max_errors: int = 1_000  # item errors reported per call (the rest are counted)
    attempts: int = 3  # a concurrent writer: the same new key stored first, or a deadlock the store broke


class Ingestor:
    def __init__(
        self, engine: AsyncEngine, policy: IngestPolicy | None = None, queue: WriteQueue | None = None,
        listeners: WriteListeners | None = None, versions: DataVersions | None = None,
    ) -> None:
        self.engine = engine
        self.policy = policy or IngestPolicy()
        self.queue = queue or WriteQueue(in_flight=2, waiting=8)
        self.listeners = listeners or WriteListeners()
        self.versions = versions or DataVersions()

    async def checks(self, kind: Kind, tenant_id: str | None) -> Checks:
        async with self.engine.connect() as conn:
            if kind.per_tenant and not await tenant_exists(conn, str(tenant_id)):
                raise UnknownTenant(f"tenant {tenant_id!r} does not exist")
            currencies = await rated_currencies(conn) if kind is Kind.BOOKINGS else set()
        return Checks.at(tenant_id if kind.per_tenant else None, currencies, self.policy.clock_skew)

    def validate(self, kind: Kind, items: Iterable[tuple[int, Mapping[str, Any]]], checks: Checks,
                 errors: ErrorList) -> Iterator[Item]:
        for index, item in items:
            row = validate(kind, item, checks, index)
            if isinstance(row, ItemError):
                errors.add(row)
            else:
                yield index, row

    async def record(self, kind: Kind, tenant_id: str | None, items: list[Mapping[str, Any]], partial: bool) -> Outcome:
        """A small batch held in memory (the mutations); indexes are 0-based positions."""
        checks = await self.checks(kind, tenant_id)
        errors = ErrorList(self.policy.max_errors)
        valid = list(self.validate(kind, enumerate(items), checks, errors))
        if errors and not partial:
            return Outcome(errors=errors.items, unreported_errors=errors.dropped)
        size = self.policy.chunk_rows
        return await self.write(kind, tenant_id, lambda: (valid[i : i + size] for i in range(0, len(valid), size)),
                                errors, partial)

    async def write(self, kind: Kind, tenant_id: str | None, chunks: Chunks, errors: ErrorList, partial: bool) -> Outcome:
        """Writes validated chunks in one transaction; `errors` holds the validation errors so far."""
        for attempt in range(1, self.policy.attempts + 1):
            try:
                async with self.queue.writing():
                    outcome, event = await self._transaction(kind, tenant_id, chunks(), partial)
                break
            except Exception as error:
                if attempt == self.policy.attempts or not is_retryable(error):
                    raise
                log.info("conflict with a concurrent writer; retrying the batch (attempt %d)", attempt + 1)
        for error in outcome.errors:
            errors.add(error)
        outcome.errors, outcome.unreported_errors = sorted(errors.items, key=_order), errors.dropped
        if event is not None:
            await self.listeners.emit(Written(**{**event, "data_version": await self._bump(kind, tenant_id)}))
        return outcome

    async def _bump(self, kind: Kind, tenant_id: str | None) -> int:
        """The written tenant's new data version; fx rates change every tenant's money figures."""
        if kind.per_tenant:
            return await self.versions.bump(str(tenant_id))
        await self.versions.bump(FX_VERSION)  # cached rates
        async with self.engine.connect() as conn:
            everyone = await all_tenant_ids(conn)
        return max([await self.versions.bump(each) for each in everyone], default=0)

    async def _transaction(self, kind: Kind, tenant_id: str | None, chunks: Iterable[list[Item]],
                           partial: bool) -> tuple[Outcome, dict[str, Any] | None]:
        outcome = Outcome()
        days: set[date] = set()
        changes: list[BookingChange] = []
        added: list[str] | None = [] if kind is Kind.PAGEVIEWS else None  # new events: a delta suffices
        async with self.engine.connect() as conn:
            transaction = await conn.begin()
            try:
                if kind.per_tenant:
                    await lock_tenant(conn, str(tenant_id))
                for chunk in chunks:
                    result = await write_chunk(conn, kind.value, [row for _, row in chunk])
                    outcome.inserted += result.inserted
                    outcome.updated += result.updated
                    outcome.duplicates += result.duplicates
                    outcome.errors += [
                        ItemError(chunk[position][0], FIELD_NAMES.get(column, column),
                                  "already stored with other values; events cannot change")
                        for position, column in result.conflicts
                    ]
                    _collect(kind, result.written, days, changes)
                    if added is not None:
                        if any(before is not None for _, before in result.written):
                            added = None  # not only new events: rebuild the days
                        else:
                            added += [row["event_id"] for row, _ in result.written]
                if outcome.errors and not partial:
                    await transaction.rollback()
                    return Outcome(errors=outcome.errors), None
                if kind.per_tenant and days:
                    # the rollups change with the rows, in the same transaction: never one without the other
                    if added is not None:
                        await add_pageviews_in(conn, str(tenant_id), added)
                    else:
                        await refresh_days_in(conn, str(tenant_id), days, [kind.value])
                await transaction.commit()
            except BaseException:
                # also on cancellation (shutdown, a killed request): nothing is half-written
                if transaction.is_active:
                    await transaction.rollback()
                raise
        if outcome.stored_nothing:
            return outcome, None
        event = {"tenant_id": tenant_id if kind.per_tenant else None, "kind": kind.value,
                 "inserted": outcome.inserted, "updated": outcome.updated, "days": frozenset(days),
                 "bookings": tuple(changes)}
        return outcome, event


def _collect(kind: Kind, written: list[tuple[dict[str, Any], dict[str, Any] | None]], days: set[date],
             changes: list[BookingChange]) -> None:
    column = DAY_COLUMNS[kind]
    for row, before in written:
        days.add(_day(row[column]))
        if before is not None and column in before:
            days.add(_day(before[column]))
        if kind is Kind.BOOKINGS:
            changes.append(BookingChange(row["booking_ref"], row["booked_at"], row["status"], row["amount"],
                                         row["currency"], row["channel"], inserted=before is None))


def _day(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value


def _order(error: ItemError) -> int:
    return error.index
