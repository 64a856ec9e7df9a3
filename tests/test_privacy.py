"""Erasure and retention through the real CLI, on SQLite and MariaDB: no trace left in raw tables."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from gateway.cli import main
from tests.gql import execute
from tests.ingest_support import fill
from tests.services import fresh_store

T, OTHER = "pv-hotel", "pv-other"
TODAY = datetime.now(UTC).date()
OLD = TODAY - timedelta(days=100)
RECENT = TODAY - timedelta(days=5)


def _rows() -> dict[str, list[dict[str, Any]]]:
    """Customer c1 (visitor v1) and c2 (visitor v2) in both tenants: the same ids in OTHER must survive."""
    out: dict[str, list[dict[str, Any]]] = {"pageviews": [], "bookings": [], "surveys": []}
    for tenant in (T, OTHER):
        for day in (OLD, RECENT):
            moment = datetime.combine(day, datetime.min.time()) + timedelta(hours=9)
            for visitor in ("v1", "v2"):
                for step in ("landing", "search"):
                    out["pageviews"].append({
                        "tenant_id": tenant, "ts": moment, "visitor_id": visitor, "session_id": f"{visitor}-{day}",
                        "step": step, "channel": "direct", "device": "mobile", "country": "DE", "logged_in": False})
            for customer, visitor in (("c1", "v1"), ("c1", None), ("c2", "v2")):
                ref = f"{customer}-{visitor}-{day}"
                out["bookings"].append({
                    "tenant_id": tenant, "booking_ref": ref, "booked_at": moment + timedelta(minutes=5),
                    "customer_id": customer, "visitor_id": visitor, "check_in": day + timedelta(days=30), "nights": 2,
                    "rooms": 1, "amount": Decimal("200.00"), "currency": "EUR", "status": "confirmed", "channel": "direct"})
                out["surveys"].append({"tenant_id": tenant, "ts": moment + timedelta(days=1), "score": 9, "booking_ref": ref})
    return out


async def _fill(url: str) -> None:
    await fill(url, (T, OTHER), OLD, _rows())


async def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in (await conn.execute(text(sql))).all()]
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "mariadb"])
def store(request: pytest.FixtureRequest, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with fresh_store(request.param, str(tmp_path)) as url:
        asyncio.run(_fill(url))
        monkeypatch.setenv("DATABASE_URL", url)
        yield url


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def _everything(url: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "pageviews": asyncio.run(_query(url, "SELECT tenant_id, visitor_id FROM pageviews ORDER BY 1, 2")),
        "bookings": asyncio.run(_query(url, "SELECT tenant_id, customer_id, visitor_id, booking_ref FROM bookings ORDER BY 1, 4")),
        "surveys": asyncio.run(_query(url, "SELECT tenant_id, booking_ref FROM surveys ORDER BY 1, 2")),
    }


def test_erasing_a_customer_leaves_no_trace(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _everything(store)
    report = _cli(capsys, "erase", "--tenant", T, "--customer", "c1")
    # v1's views: 2 days x 2 steps; their rollup rows: one session a day
    assert report["removed"] == {"bookings": 4, "surveys": 4, "pageviews": 4, "rollup_traffic": 2}
    assert report["caches"].startswith("no REDIS_URL")
    after = _everything(store)
    assert not [r for r in after["bookings"] if r[0] == T and r[1] == "c1"]
    assert not [r for r in after["pageviews"] if r[0] == T and r[1] == "v1"]
    assert not [r for r in after["surveys"] if r[0] == T and r[1].startswith("c1-")]
    # everything else is exactly as before: the other customer and the other tenant's same ids
    for table, rows in before.items():
        kept = [r for r in rows if not (r[0] == T and (("c1" in r) or ("v1" in r[1:2]) or str(r[-1]).startswith("c1-")))]
        assert after[table] == kept, table
    answer = asyncio.run(execute(store, f'{{ tenant(id: "{T}") {{ metrics(range: {{from: "{OLD}", to: "{TODAY}"}}) '
                                        "{ bookings uniqueVisitors nps } } }", tenants=[T]))
    assert not answer.errors and answer.data["tenant"]["metrics"] == {"bookings": 2, "uniqueVisitors": 1, "nps": 100.0}


def test_erasing_a_visitor_unlinks_their_bookings(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    report = _cli(capsys, "erase", "--tenant", T, "--visitor", "v2")
    assert report["removed"] == {"pageviews": 4, "rollup_traffic": 2, "bookings_unlinked": 2}
    after = _everything(store)
    assert not [r for r in after["pageviews"] if r[0] == T and r[1] == "v2"]
    assert not [r for r in after["bookings"] if r[0] == T and r[2] == "v2"]
    assert len([r for r in after["bookings"] if r[0] == T and r[1] == "c2"]) == 2  # kept, without the link
    assert len([r for r in after["pageviews"] if r[0] == OTHER and r[1] == "v2"]) == 4


def test_erasing_in_an_unknown_tenant_is_an_error(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["erase", "--tenant", "nobody", "--customer", "c1"]) == 2
    assert "no tenant" in capsys.readouterr().err


def test_retention_drops_old_raw_rows_and_keeps_their_rollups(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retention", "set", "--tenant", T, "--days", "30"]) == 0
    capsys.readouterr()
    report = _cli(capsys, "retention", "apply", "--as-of", str(TODAY))
    assert report.pop("caches").startswith("no REDIS_URL")
    assert report == {T: {"cutoff": str(TODAY - timedelta(days=30)), "removed": {"pageviews": 4, "surveys": 3}}}
    after = _everything(store)
    assert [r[0] for r in after["pageviews"]].count(T) == 4 and [r[0] for r in after["pageviews"]].count(OTHER) == 8
    assert len(after["bookings"]) == 12  # bookings are kept: repeat rates and cohorts need all of them
    assert _cli(capsys, "retention", "apply", "--as-of", str(TODAY))[T]["removed"] == {"pageviews": 0, "surveys": 0}  # idempotent
    recent = f'range: {{from: "{TODAY - timedelta(days=30)}", to: "{TODAY}"}}'
    old = f'range: {{from: "{OLD}", to: "{TODAY}"}}'
    def ask(field: str) -> Any:
        return asyncio.run(execute(store, f'{{ tenant(id: "{T}") {{ {field} }} }}', tenants=[T]))

    answer = ask(f"metrics({recent}) {{ bookings uniqueVisitors }}")
    assert not answer.errors and answer.data["tenant"]["metrics"] == {"bookings": 3, "uniqueVisitors": 2}
    answer = ask(f"metrics({old}) {{ bookings uniqueVisitors nps }}")  # from the kept rollups (tests/test_retention.py)
    assert not answer.errors and answer.data["tenant"]["metrics"] == {"bookings": 6, "uniqueVisitors": 2, "nps": 100.0}
    for field in (f"funnelBy(by: DEVICE, {old}) {{ key }}", f"attribution(by: CHANNEL, {recent}, lookbackDays: 1) {{ key }}",
                  f"breakdown(metric: PAGEVIEWS, by: UTM_CAMPAIGN, {old}) {{ key }}"):
        answer = ask(field)
        assert [e.extensions["code"] for e in answer.errors] == ["BAD_USER_INPUT"], field
        assert "retention policy" in answer.errors[0].message
    answer = ask(f"metrics({old}) {{ bookings }}")  # bookings are all kept: their figures still answer
    assert not answer.errors and answer.data["tenant"]["metrics"] == {"bookings": 6}


def test_retention_refuses_to_count_from_a_later_day(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retention", "set", "--tenant", T, "--days", "30"]) == 0
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    with pytest.raises(SystemExit) as exit_:
        main(["retention", "apply", "--as-of", str(tomorrow)])
    assert exit_.value.code == 2 and "after today" in capsys.readouterr().err
    assert [r[0] for r in _everything(store)["pageviews"]].count(T) == 8  # nothing dropped


def test_erasure_bumps_the_data_version_shared_in_redis(store: str, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Caches key on (tenant, data version): after an erasure no answer from before is current."""
    from redis.asyncio import Redis

    from loaders.versions import DataVersions
    from tests.services import redis_url

    url = redis_url()
    monkeypatch.setenv("REDIS_URL", url)

    async def version() -> int:
        client = Redis.from_url(url)
        try:
            return await DataVersions(client).get(T)
        finally:
            await client.aclose()

    before = asyncio.run(version())
    report = _cli(capsys, "erase", "--tenant", T, "--visitor", "v1")
    assert report["caches"] == "data versions bumped in Redis"
    assert asyncio.run(version()) == before + 1
