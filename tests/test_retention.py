"""Retention keeps the daily rollups: old ranges answer exactly as the raw rows did before the
drop, on SQLite and MariaDB; raw-only fields refuse them with a coded error; no rebuild
(ingestion, `rollup refresh`, the change check) wipes a dropped day; erasure still reaches it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gateway.cli import main
from tests.gql import execute
from tests.ingest_support import fill
from tests.services import fresh_store

T, OTHER = "rt-hotel", "rt-other"
TODAY = datetime.now(UTC).date()
OLD = TODAY - timedelta(days=100)
KEEP_DAYS = 30
FIRST_KEPT = TODAY - timedelta(days=KEEP_DAYS)
OLD_RANGE = f'{{from: "{OLD - timedelta(days=2)}", to: "{OLD + timedelta(days=9)}"}}'
WHOLE_RANGE = f'{{from: "{OLD}", to: "{TODAY}"}}'
# visitor: (device, channel, country, logged in); v1 is customer c1's visitor
VISITORS = {"v1": ("mobile", "direct", "DE", False), "v2": ("desktop", "email", "CH", True),
            "v3": ("mobile", "paid_search", None, False), "v4": ("tablet", "direct", "DE", True)}
STEPS = ("landing", "search", "room_view", "checkout", "confirmation")


def _at(day: Any, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour, minutes=minute)


def _rows(tenant: str) -> dict[str, list[dict[str, Any]]]:
    """Seven old days and two recent ones; sessions cross midnight, funnels stop at different steps."""
    out: dict[str, list[dict[str, Any]]] = {"pageviews": [], "bookings": [], "surveys": []}
    days = [OLD + timedelta(days=i) for i in range(7)] + [TODAY - timedelta(days=5), TODAY - timedelta(days=4)]
    for n, day in enumerate(days):
        for k, (visitor, (device, channel, country, logged_in)) in enumerate(VISITORS.items()):
            if (n + k) % 3 == 2:
                continue  # not every visitor comes every day
            start = _at(day, 23, 40) if (n + k) % 4 == 0 else _at(day, 9 + k)  # some cross midnight
            for i, step in enumerate(STEPS[: 1 + (n + 2 * k) % len(STEPS)]):
                out["pageviews"].append({
                    "tenant_id": tenant, "ts": start + timedelta(minutes=10 * i), "visitor_id": visitor,
                    "session_id": f"{visitor}-{day}", "step": step, "channel": channel, "device": device,
                    "country": country, "logged_in": logged_in and i > 0, "utm_source": "news" if k % 2 else None})
        for customer, visitor in (("c1", "v1"), ("c2", "v2")):
            if (n + len(customer)) % 2:
                continue
            ref = f"{customer}-{day}"
            out["bookings"].append({
                "tenant_id": tenant, "booking_ref": ref, "booked_at": _at(day, 12), "customer_id": customer,
                "visitor_id": visitor, "check_in": day + timedelta(days=30), "nights": 1 + n % 3, "rooms": 1,
                "amount": Decimal("150.00") + n, "currency": "EUR", "status": "confirmed", "channel": "direct"})
            out["surveys"].append({"tenant_id": tenant, "ts": _at(day, 18), "score": (3 * n + 4) % 11, "booking_ref": ref})
    return out


async def _fill(url: str) -> None:
    rows: dict[str, list[dict[str, Any]]] = {}
    for tenant in (T, OTHER):
        for name, batch in _rows(tenant).items():
            rows.setdefault(name, []).extend(batch)
    await fill(url, (T, OTHER), OLD - timedelta(days=5), rows)


async def _sql_async(url: str, statement: str, write: bool) -> list[tuple[Any, ...]]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(statement))
            return [] if write else [tuple(row) for row in result.all()]
    finally:
        await engine.dispose()


def _sql(url: str, statement: str, write: bool = False) -> list[tuple[Any, ...]]:
    return asyncio.run(_sql_async(url, statement, write))


def _fresh(backend: str, directory: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    directory.mkdir()
    with fresh_store(backend, str(directory)) as url:
        asyncio.run(_fill(url))
        monkeypatch.setenv("DATABASE_URL", url)
        yield url


@pytest.fixture(params=["sqlite", "mariadb"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(backend: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    yield from _fresh(backend, tmp_path / "a", monkeypatch)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    out = capsys.readouterr().out
    return json.loads(out) if out.startswith("{") else out


def _apply(capsys: pytest.CaptureFixture[str]) -> Any:
    assert main(["retention", "set", "--tenant", T, "--days", str(KEEP_DAYS)]) == 0
    capsys.readouterr()
    return _cli(capsys, "retention", "apply", "--as-of", str(TODAY))


TRAFFIC = """
  dataRange { from to }
  metrics(range: R) { uniqueVisitors sessions pageviews bookings roomNights revenue { amount currency }
                      conversionRate repeatBookingRate previousPeriod { uniqueVisitors bookings } }
  device: breakdown(metric: UNIQUE_VISITORS, by: DEVICE, range: R) { key value share }
  country: breakdown(metric: SESSIONS, by: COUNTRY, range: R) { key value share }
  login: breakdown(metric: UNIQUE_VISITORS, by: LOGIN_STATUS, range: R) { key value share }
  channel: breakdown(metric: CONVERSION_RATE, by: CHANNEL, range: R) { key value }
  days: series(metric: UNIQUE_VISITORS, range: R, granularity: DAY) { start value }
  weeks: series(metric: SESSIONS, range: R, granularity: WEEK) { start value }
  funnel(range: R) { step sessions conversionFromPrevious }
  charts(range: R) { visitorsByChannel { key value share } loginStatus { key value } bookingFunnel { step sessions }
                     revenueTrend { start value } rebookingTrend { start value } }
"""
SURVEYS = """
  nps: metrics(range: R) { nps }
  npsDays: series(metric: NPS, range: R, granularity: DAY) { start value }
  npsChart: charts(range: R) { npsTrend { start value } }
"""


def _ask(url: str, fields: str, range_: str, **settings: Any) -> Any:
    document = f'{{ tenant(id: "{T}") {{ {fields.replace("range: R", f"range: {range_}")} }} }}'
    return asyncio.run(execute(url, document, tenants=[T], **settings))


def _answers(url: str, fields: str = TRAFFIC + SURVEYS, **settings: Any) -> dict[str, Any]:
    out = {}
    for name, range_ in (("old", OLD_RANGE), ("whole", WHOLE_RANGE)):
        answer = _ask(url, fields, range_, **settings)
        assert not answer.errors, answer.errors
        out[name] = answer.data["tenant"]
    return out


def _refused(answer: Any) -> None:
    assert [e.extensions["code"] for e in answer.errors] == ["BAD_USER_INPUT"], answer.errors
    assert str(FIRST_KEPT) in answer.errors[0].message and "retention policy" in answer.errors[0].message


def test_old_ranges_answer_from_the_kept_rollups_as_the_raw_rows_did(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    raw_before = _answers(store, rollups=False)
    assert raw_before["old"]["metrics"]["uniqueVisitors"] == 4 and raw_before["old"]["nps"]["nps"] is not None
    report = _apply(capsys)
    assert report[T]["cutoff"] == str(FIRST_KEPT) and report[T]["removed"]["pageviews"] > 0
    assert _sql(store, f"SELECT COUNT(*) FROM pageviews WHERE tenant_id = '{T}' AND ts < '{FIRST_KEPT}'") == [(0,)]
    assert _answers(store) == raw_before  # the rollups of the dropped days answer exactly
    assert _answers(store, CACHE=False) == raw_before
    # a range within the kept days answers from the raw path too (its previous period would not)
    recent, fields = f'{{from: "{FIRST_KEPT}", to: "{TODAY}"}}', TRAFFIC.replace("previousPeriod", "p: previousPeriod")
    raw = _ask(store, fields.replace(" p: previousPeriod { uniqueVisitors bookings }", ""), recent, rollups=False)
    assert not raw.errors and raw.data["tenant"]["metrics"]["uniqueVisitors"] > 0
    rolled = _ask(store, fields.replace(" p: previousPeriod { uniqueVisitors bookings }", ""), recent)
    assert raw.data == rolled.data


@pytest.mark.parametrize("field", [
    "breakdown(metric: UNIQUE_VISITORS, by: UTM_SOURCE, range: R) { key value }",
    "funnelBy(by: DEVICE, range: R) { key }",
    "attribution(by: CHANNEL, range: R) { key }",
])
def test_raw_only_fields_refuse_ranges_touching_dropped_days(store: str, capsys: pytest.CaptureFixture[str], field: str) -> None:
    _apply(capsys)
    _refused(_ask(store, field, OLD_RANGE))
    answer = _ask(store, f"{field} metrics(range: R) {{ uniqueVisitors }}", OLD_RANGE)
    assert answer.data["tenant"]["metrics"]["uniqueVisitors"] == 4  # its rollup siblings still answer
    kept = f'{{from: "{FIRST_KEPT + timedelta(days=1)}", to: "{TODAY}"}}'  # attribution looks back a day
    assert not _ask(store, field.replace("range: R", "range: R, lookbackDays: 1") if "attribution" in field else field,
                    kept).errors


def test_without_rollups_old_ranges_give_the_same_error(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    _apply(capsys)
    _refused(_ask(store, "metrics(range: R) { uniqueVisitors }", OLD_RANGE, rollups=False))
    _refused(_ask(store, "metrics(range: R) { nps }", OLD_RANGE, rollups=False))
    answer = _ask(store, "metrics(range: R) { bookings }", OLD_RANGE, rollups=False)  # bookings are all kept
    assert not answer.errors


def test_no_rebuild_wipes_a_dropped_day(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    from loaders import tables
    from loaders.bulk_insert import insert_rows

    raw_before = _answers(store, rollups=False)
    _apply(capsys)
    # a late pageview of a dropped day through the gateway's writer (its in-transaction rebuild)
    late = {"tenant_id": T, "ts": _at(OLD, 10), "visitor_id": "late", "session_id": "late-1", "step": "landing",
            "channel": "direct", "device": "mobile", "country": "DE", "logged_in": False}

    async def write() -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(store)
        try:
            await insert_rows(engine, tables.pageviews, [late])
        finally:
            await engine.dispose()

    asyncio.run(write())
    assert _answers(store)["old"] == raw_before["old"]
    assert "rebuilt" in _cli(capsys, "rollup", "refresh")
    assert _answers(store) == raw_before
    # the change check: rows deleted behind the gateway's back rebuild the tenant's table
    # entirely (the shrunk count), and a row appended behind its back on a dropped day
    _sql(store, f"DELETE FROM surveys WHERE tenant_id = '{T}'", write=True)
    _sql(store, f"DELETE FROM pageviews WHERE tenant_id = '{T}' AND visitor_id = 'late'", write=True)
    _sql(store, "INSERT INTO pageviews (tenant_id, ts, visitor_id, session_id, step, channel, device, logged_in) "
                f"VALUES ('{T}', '{_at(OLD, 11)}', 'etl', 'etl-1', 'landing', 'direct', 'mobile', 0)", write=True)
    capsys.readouterr()
    assert main(["rollup", "check"]) == 0
    capsys.readouterr()
    after = _answers(store, TRAFFIC)
    assert after["old"] == {k: v for k, v in raw_before["old"].items() if k in after["old"]}
    old_surveys = _answers(store, SURVEYS)["old"]
    assert old_surveys == {k: raw_before["old"][k] for k in ("nps", "npsDays", "npsChart")}
    # the next apply removes the late raw rows of dropped days, uncounted
    assert _cli(capsys, "retention", "apply", "--as-of", str(TODAY))[T]["removed"] == {"pageviews": 1, "surveys": 0}


@pytest.mark.parametrize("who", [("--visitor", "v1"), ("--customer", "c1")])
def test_erasure_after_retention_leaves_no_trace(backend: str, tmp_path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                 capsys: pytest.CaptureFixture[str], who: tuple[str, str]) -> None:
    """Erasing after the drop answers what erasing before it did (the raw path is the oracle)."""
    first = _fresh(backend, tmp_path / "first", monkeypatch)
    erased_first = next(first)
    _cli(capsys, "erase", "--tenant", T, *who)
    expected = _answers(erased_first, rollups=False)
    _apply(capsys)
    assert _answers(erased_first) == expected
    first.close()

    later = _fresh(backend, tmp_path / "later", monkeypatch)
    erased_later = next(later)
    _apply(capsys)
    report = _cli(capsys, "erase", "--tenant", T, *who)
    assert report["removed"]["rollup_traffic"] > 0
    fields = TRAFFIC if who[0] == "--customer" else TRAFFIC + SURVEYS
    after = _answers(erased_later, fields)
    assert after == {k: {f: expected[k][f] for f in after[k]} for k in expected}
    # the rollups hold visitor numbers: the person's number and every row that used it are gone
    assert _sql(erased_later, f"SELECT COUNT(*) FROM rollup_members WHERE tenant_id = '{T}' AND member = 'v1'") == [(0,)]
    assert _sql(erased_later, "SELECT COUNT(*) FROM rollup_traffic t LEFT JOIN rollup_members m "
                "ON m.num = t.visitor_num WHERE m.num IS NULL") == [(0,)]
    others = (f"SELECT COUNT(*) FROM rollup_traffic t JOIN rollup_members m ON m.num = t.visitor_num "
              f"WHERE t.tenant_id = '{OTHER}' AND m.member = 'v1'")
    assert _sql(erased_later, others) != [(0,)]
    assert _sql(erased_later, f"SELECT COUNT(*) FROM pageviews WHERE tenant_id = '{T}' AND visitor_id = 'v1'") == [(0,)]
    if who[0] == "--customer":
        for table in ("bookings", "rollup_customer_firsts"):
            rows = _sql(erased_later, f"SELECT COUNT(*) FROM {table} WHERE tenant_id = '{T}' AND customer_id = 'c1'")
            assert rows == [(0,)], table
    later.close()
