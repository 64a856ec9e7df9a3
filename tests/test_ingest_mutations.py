"""The record* mutations on SQLite and MariaDB: validation, idempotency, partial batches, scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.database import create_engine
from gateway.settings import Settings
from ingest.notify import Written
from ingest.service import Ingestor
from tests.ingest_support import booking, count, pageview, prepare, principal, record, survey

WRITER_A = principal(["ing-a"], {"ingest"})


@pytest.fixture
async def store(empty_store_url: str) -> str:
    await prepare(empty_store_url)
    return empty_store_url


def _data(result, field: str) -> dict:  # type: ignore[no-untyped-def]
    assert result.errors is None, result.errors
    return result.data[field]


async def test_pageviews_insert_then_replay_is_all_duplicates(store: str) -> None:
    items = [pageview(n) for n in range(25)]
    first = _data(await record(store, "pageviews", items, who=WRITER_A), "recordPageviews")
    assert first == {"inserted": 25, "updated": 0, "duplicates": 0, "errors": []}
    again = _data(await record(store, "pageviews", items, who=WRITER_A), "recordPageviews")
    assert again == {"inserted": 0, "updated": 0, "duplicates": 25, "errors": []}
    assert await count(store, "pageviews", "ing-a") == 25
    assert await count(store, "pageviews", "ing-b") == 0


async def test_an_invalid_item_writes_nothing_unless_partial(store: str) -> None:
    items = [pageview(0), pageview(1, channel="carrier_pigeon"), pageview(2), pageview(3, device="fridge")]
    refused = _data(await record(store, "pageviews", items, who=WRITER_A), "recordPageviews")
    assert refused["inserted"] == 0
    assert [(e["index"], e["field"]) for e in refused["errors"]] == [(1, "channel"), (3, "device")]
    assert await count(store, "pageviews") == 0
    partial = _data(await record(store, "pageviews", items, who=WRITER_A, partial=True), "recordPageviews")
    assert (partial["inserted"], len(partial["errors"])) == (2, 2)
    assert await count(store, "pageviews") == 2


@pytest.mark.parametrize(("item", "field", "words"), [
    (booking(1, currency="XTS"), "currency", "no exchange rate"),
    (booking(1, amount="-0.01"), "amount", "at least 0"),
    (booking(1, amount="1.001"), "amount", "decimal places"),
    (booking(1, nights=0), "nights", "greater than 0"),
    (booking(1, bookingRef="x" * 65), "bookingRef", "longer than 64"),
    (booking(1, channel="tv"), "channel", "unknown channel"),
    (booking(1, bookedAt=(datetime.now(UTC) + timedelta(hours=1)).isoformat()), "bookedAt", "in the future"),
])
async def test_bookings_are_validated_per_item(store: str, item: dict, field: str, words: str) -> None:
    result = _data(await record(store, "bookings", [booking(0), item], who=WRITER_A), "recordBookings")
    assert result["inserted"] == 0
    assert len(result["errors"]) == 1
    error = result["errors"][0]
    assert (error["index"], error["field"]) == (1, field)
    assert words in error["message"]
    assert await count(store, "bookings") == 0


async def test_a_small_clock_skew_is_accepted(store: str) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=60)).isoformat()
    result = _data(await record(store, "surveys", [survey(1, ts=soon)], who=WRITER_A), "recordSurveyResponses")
    assert result["inserted"] == 1


async def test_timestamps_without_offset_are_refused(store: str) -> None:
    result = await record(store, "pageviews", [pageview(0, ts="2025-03-01T08:00:00")], who=WRITER_A)
    assert result.errors and result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert await count(store, "pageviews") == 0


async def test_a_known_booking_ref_with_another_status_is_an_update(store: str) -> None:
    engine = create_engine(Settings(database_url=store))
    events: list[Written] = []

    async def listen(event: Written) -> None:
        events.append(event)

    ingestor = Ingestor(engine)
    ingestor.listeners.add(listen)
    try:
        first = _data(await record(store, "bookings", [booking(1), booking(2)], who=WRITER_A, ingestor=ingestor),
                      "recordBookings")
        assert (first["inserted"], first["updated"]) == (2, 0)
        cancel = [booking(1, status="CANCELLED"), booking(2)]
        second = _data(await record(store, "bookings", cancel, who=WRITER_A, ingestor=ingestor), "recordBookings")
        assert (second["inserted"], second["updated"], second["duplicates"]) == (0, 1, 1)
        replay = _data(await record(store, "bookings", cancel, who=WRITER_A, ingestor=ingestor), "recordBookings")
        assert (replay["updated"], replay["duplicates"]) == (0, 2)
        version = await ingestor.versions.get("ing-a")
    finally:
        await engine.dispose()
    assert [(e.inserted, e.updated) for e in events] == [(2, 0), (0, 1)]  # the replay changed nothing
    change = events[1].bookings
    assert [(c.booking_ref, c.status, c.inserted) for c in change] == [("bk-1", "cancelled", False)]
    assert events[1].tenant_id == "ing-a" and events[1].kind == "bookings"
    assert events[1].data_version > events[0].data_version
    assert version == events[1].data_version


async def test_events_cannot_change_once_stored(store: str) -> None:
    await record(store, "pageviews", [pageview(1)], who=WRITER_A)
    changed = _data(await record(store, "pageviews", [pageview(2), pageview(1, device="desktop")], who=WRITER_A),
                    "recordPageviews")
    assert changed["inserted"] == 0
    assert [(e["index"], e["field"]) for e in changed["errors"]] == [(1, "eventId")]
    assert await count(store, "pageviews") == 1  # the valid pv-2 was rolled back with the batch


async def test_fx_rates_need_the_admin_scope_and_update_in_place(store: str) -> None:
    rates = [{"currency": "GBP", "day": "2025-03-01", "usdPerUnit": "1.27"}]
    refused = await record(store, "fx", rates, who=WRITER_A)
    assert refused.errors[0].extensions["code"] == "FORBIDDEN"
    admin = principal([], {"admin"})
    assert _data(await record(store, "fx", rates, who=admin), "recordFxRates")["inserted"] == 1
    moved = [{"currency": "GBP", "day": "2025-03-01", "usdPerUnit": "1.28"}]
    assert _data(await record(store, "fx", moved, who=admin), "recordFxRates")["updated"] == 1
    # bookings in GBP are accepted now that it has a rate
    gbp = _data(await record(store, "bookings", [booking(9, currency="GBP")], who=WRITER_A), "recordBookings")
    assert gbp["inserted"] == 1


async def test_read_only_credentials_cannot_write(store: str) -> None:
    reader = principal(["ing-a"], {"read"})
    result = await record(store, "pageviews", [pageview(1)], who=reader)
    assert result.errors[0].extensions == {"code": "FORBIDDEN", "requiredScope": "ingest"}
    assert await count(store, "pageviews") == 0


async def test_another_tenants_rows_are_forbidden(store: str) -> None:
    result = await record(store, "pageviews", [pageview(1)], who=WRITER_A, tenant="ing-b")
    assert result.errors[0].extensions["code"] == "FORBIDDEN"
    assert await count(store, "pageviews") == 0
    # a credential for both must say which
    both = principal(["ing-a", "ing-b"], {"ingest"})
    ambiguous = await record(store, "pageviews", [pageview(1)], who=both)
    assert ambiguous.errors[0].extensions["code"] == "BAD_USER_INPUT"
    named = _data(await record(store, "pageviews", [pageview(1)], who=both, tenant="ing-b"), "recordPageviews")
    assert named["inserted"] == 1
    assert await count(store, "pageviews", "ing-b") == 1


async def test_unknown_tenants_and_oversized_batches_are_bad_input(store: str) -> None:
    ghost = principal(["ing-ghost"], {"ingest"})
    result = await record(store, "surveys", [survey(1)], who=ghost)
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert "does not exist" in result.errors[0].message
    big = await record(store, "surveys", [survey(n) for n in range(11)], who=WRITER_A, ingest_max_batch=10)
    assert big.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert await count(store, "surveys") == 0


async def test_ingest_only_credentials_cannot_read(store: str) -> None:
    from schema.root import schema
    from gateway.context import build_context

    settings = Settings(database_url=store)
    engine = create_engine(settings)
    try:
        context = build_context(engine=engine, settings=settings, principal=WRITER_A)
        viewer = await schema.execute("{ viewer { subject scopes } }", context_value=context)
        tenant = await schema.execute("{ tenant { id } }", context_value=context)
    finally:
        await engine.dispose()
    assert viewer.data == {"viewer": {"subject": "ingest-test", "scopes": ["ingest"]}}
    assert tenant.errors[0].extensions == {"code": "FORBIDDEN", "requiredScope": "read"}


async def test_the_same_id_twice_in_one_batch(store: str) -> None:
    twice = [survey(1), survey(1)]
    result = _data(await record(store, "surveys", twice, who=WRITER_A), "recordSurveyResponses")
    assert (result["inserted"], result["duplicates"]) == (1, 1)
    clash = [survey(2), survey(2, score=3)]
    refused = _data(await record(store, "surveys", clash, who=WRITER_A), "recordSurveyResponses")
    assert [(e["index"], e["field"]) for e in refused["errors"]] == [(1, "responseId")]
    assert await count(store, "surveys") == 1
