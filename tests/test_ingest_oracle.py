"""Metrics before and after an ingest equal the oracle on the combined data, on SQLite and MariaDB.

The oracle data set is loaded without the last months of two tenants; those rows then arrive
through the gateway's three write paths (pageviews as an NDJSON body, survey answers as CSV,
bookings through the mutation, first all confirmed and then with their real status, so the
cancellations are updates). Every key metric, before and after, equals tests/oracle.py over
what is stored, and what is stored is exactly the full data set; a replay changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from core.vocabulary import Tier
from gateway.app import create_app
from gateway.context import build_context
from gateway.database import create_engine
from gateway.settings import Settings
from loaders import tables
from loaders.bulk_insert import insert_rows
from loaders.store import create_schema
from schema.root import schema
from tests import datagen
from tests.conftest import SECRET, make_token
from tests.ingest_support import count, principal
from tests.oracle import COUNT_METRICS, KEY_FIELDS, MONEY_METRICS, Oracle, read_raw

DATA = datagen.generate()
LATE_TENANTS = ("orc-city-eur", "orc-resort-sek")
CUT = date(2025, 6, 1)
RANGES = [(date(2025, 5, 1), date(2025, 6, 30)), (date(2025, 6, 1), date(2025, 12, 31)), (date(2024, 10, 1), date(2025, 12, 31))]
KM = ("uniqueVisitors sessions pageviews bookings cancellations roomNights revenue { amount currency } "
      "averageBookingValue { amount currency } conversionRate cancellationRate repeatBookingRate nps")


def _late(row: dict[str, Any], column: str) -> bool:
    return row["tenant_id"] in LATE_TENANTS and row[column].date() >= CUT


def _split(rows: list[dict[str, Any]], column: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    early = [row for row in rows if not _late(row, column)]
    late = [row for row in rows if _late(row, column)]
    return early, late


async def _metrics(url: str) -> dict[str, Any]:
    settings = Settings(database_url=url)
    engine = create_engine(settings)
    fields = " ".join(
        f"{tid.replace('-', '_')}_{i}: tenant(id: \"{tid}\") {{ metrics(range: {{from: \"{s}\", to: \"{e}\"}}, "
        f"currency: \"USD\") {{ {KM} }} }}"
        for tid in LATE_TENANTS for i, (s, e) in enumerate(RANGES)
    )
    try:
        who = principal(list(LATE_TENANTS), {"read"}, Tier.ENTERPRISE)
        result = await schema.execute("{ " + fields + " }", context_value=build_context(
            engine=engine, settings=settings, principal=who))
        assert result.errors is None, result.errors
        return result.data
    finally:
        await engine.dispose()


async def _assert_matches_oracle(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        oracle = Oracle(await read_raw(engine, datagen.TENANT_IDS))
    finally:
        await engine.dispose()
    got = await _metrics(url)
    for tid in LATE_TENANTS:
        for i, (start, end) in enumerate(RANGES):
            expected = oracle.key_metrics(tid, start, end, "USD", previous=False)
            answer = got[f"{tid.replace('-', '_')}_{i}"]["metrics"]
            for name, metric in KEY_FIELDS.items():
                _same(f"{tid} {start}..{end} {name}", metric, answer[name], expected[metric])


def _same(path: str, metric: str, got: Any, want: Any) -> None:
    if metric in COUNT_METRICS:
        assert got == want, path
    elif metric in MONEY_METRICS:
        assert (got and got["amount"]) == (None if want is None else str(want)), path
    elif want is None:
        assert got is None, path
    else:
        assert got == pytest.approx(float(Fraction(want)), rel=1e-9), path


def _pageview_item(n: int, row: dict[str, Any]) -> dict[str, Any]:
    step = None if row["step"] == "other" else row["step"].upper()
    return {"eventId": f"pv-{n}", "ts": row["ts"].isoformat() + "Z", "visitorId": row["visitor_id"],
            "sessionId": row["session_id"], "step": step, "channel": row["channel"], "device": row["device"],
            "country": row["country"], "loggedIn": bool(row["logged_in"])}


def _booking_item(row: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    return {"bookingRef": row["booking_ref"], "bookedAt": row["booked_at"].isoformat() + "+00:00",
            "customerId": row["customer_id"], "visitorId": row["visitor_id"], "checkIn": row["check_in"].isoformat(),
            "nights": row["nights"], "rooms": row["rooms"], "amount": str(row["amount"]), "currency": row["currency"],
            "status": (status or row["status"]).upper(), "channel": row["channel"]}


def _survey_csv(rows: list[tuple[int, dict[str, Any]]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["responseId", "ts", "score", "bookingRef"])
    for n, row in rows:
        writer.writerow([f"sv-{n}", row["ts"].isoformat() + "Z", row["score"], row["booking_ref"] or ""])
    return out.getvalue()


@pytest.fixture
async def split_store(empty_store_url: str) -> dict[str, Any]:
    engine = create_engine(Settings(database_url=empty_store_url))
    pageviews, late_pv = _split(DATA.pageviews, "ts")
    bookings, late_bk = _split(DATA.bookings, "booked_at")
    surveys, late_sv = _split(DATA.surveys, "ts")
    try:
        await create_schema(engine)
        await insert_rows(engine, tables.tenants, DATA.tenants)
        await insert_rows(engine, tables.fx_rates, DATA.fx_rates)
        await insert_rows(engine, tables.pageviews, pageviews)
        await insert_rows(engine, tables.bookings, bookings)
        await insert_rows(engine, tables.surveys, surveys)
    finally:
        await engine.dispose()
    return {"url": empty_store_url, "pageviews": late_pv, "bookings": late_bk, "surveys": late_sv}


async def _send_all(client, late: dict[str, Any]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    totals = {"inserted": 0, "updated": 0, "duplicates": 0}

    def add(result: dict[str, Any]) -> None:
        assert result["errors"] == [], result["errors"][:3]
        for key in totals:
            totals[key] += result[key]

    for tid in LATE_TENANTS:
        auth = {"Authorization": "Bearer " + make_token([tid], tier="ENTERPRISE", scope="ingest")}
        pvs = [(n, row) for n, row in enumerate(late["pageviews"]) if row["tenant_id"] == tid]
        body = "".join(json.dumps(_pageview_item(n, row)) + "\n" for n, row in pvs)
        response = await client.post("/ingest/pageviews", data=body,
                                     headers={**auth, "Content-Type": "application/x-ndjson"})
        add(await response.json())
        svs = [(n, row) for n, row in enumerate(late["surveys"]) if row["tenant_id"] == tid]
        response = await client.post("/ingest/surveys", data=_survey_csv(svs), headers={**auth, "Content-Type": "text/csv"})
        add(await response.json())
        bks = [row for row in late["bookings"] if row["tenant_id"] == tid]
        for items in ([_booking_item(row, "confirmed") for row in bks], [_booking_item(row) for row in bks]):
            for start in range(0, len(items), 1000):
                response = await client.post("/graphql", headers=auth, json={
                    "query": "mutation($i: [BookingInput!]!) { recordBookings(items: $i) "
                             "{ inserted updated duplicates errors { index field message } } }",
                    "variables": {"i": items[start : start + 1000]},
                })
                add((await response.json())["data"]["recordBookings"])
    return totals


async def test_metrics_equal_the_oracle_before_and_after_an_ingest(aiohttp_client, split_store) -> None:  # type: ignore[no-untyped-def]
    url = split_store["url"]
    await _assert_matches_oracle(url)
    client = await aiohttp_client(create_app(Settings(database_url=url, jwt_secret=SECRET)))
    late_total = sum(len(split_store[kind]) for kind in ("pageviews", "bookings", "surveys"))
    cancelled = sum(1 for row in split_store["bookings"] if row["status"] == "cancelled")
    assert cancelled > 0 and late_total > 1000

    first = await _send_all(client, split_store)
    assert first == {"inserted": late_total, "updated": cancelled,
                     "duplicates": len(split_store["bookings"]) - cancelled}
    for table, rows in (("pageviews", DATA.pageviews), ("bookings", DATA.bookings), ("surveys", DATA.surveys)):
        assert await count(url, table) == len(rows)
    await _assert_matches_oracle(url)

    # the same again: nothing changes (bookings: the confirmed pass now changes them back and forth)
    second = await _send_all(client, split_store)
    assert second["inserted"] == 0
    for table, rows in (("pageviews", DATA.pageviews), ("bookings", DATA.bookings), ("surveys", DATA.surveys)):
        assert await count(url, table) == len(rows)
    await _assert_matches_oracle(url)
