"""`analytics-gateway tenants`, case-insensitive tier names, and the demo's first query."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import jwt
import pytest

from auth.tiers import load_tiers
from core.vocabulary import Tier
from gateway.database import create_engine
from gateway.first_query import banner, data_span, first_query
from gateway.settings import Settings
from tests.cli_runner import cli  # noqa: F401 - fixture
from tests.gql import execute

def test_tenants_lists_ids_names_segments_currencies_and_data_ranges(cli, sqlite_demo_url: str) -> None:  # type: ignore[no-untyped-def]
    done = cli("tenants", DATABASE_URL=sqlite_demo_url)
    assert done.returncode == 0, done.stderr
    header, *lines = done.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "SEGMENT", "CURRENCY", "DATA", "FROM", "DATA", "TO"]
    with sqlite3.connect(sqlite_demo_url.split("///", 1)[1]) as db:
        tenants = db.execute("SELECT id, name, segment, currency FROM tenants ORDER BY id").fetchall()
        spans = dict((row[0], (row[1][:10], row[2][:10])) for row in db.execute(
            "SELECT tenant_id, MIN(first), MAX(last) FROM ("
            " SELECT tenant_id, MIN(ts) AS first, MAX(ts) AS last FROM pageviews GROUP BY tenant_id UNION ALL"
            " SELECT tenant_id, MIN(booked_at), MAX(booked_at) FROM bookings GROUP BY tenant_id UNION ALL"
            " SELECT tenant_id, MIN(ts), MAX(ts) FROM surveys GROUP BY tenant_id) GROUP BY tenant_id"))
    assert len(lines) == len(tenants) == 6
    for line, (tenant_id, name, segment, currency) in zip(lines, tenants):
        assert line.startswith(tenant_id + " ") and f" {name} " in line, line
        assert line.split()[-4:] == [segment, currency, *spans[tenant_id]], line


def test_tenants_on_an_empty_store_says_so(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    done = cli("tenants", DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    assert done.returncode == 0 and "no tenants" in done.stdout, done.stderr


def test_token_accepts_tier_in_any_case_and_help_shows_plain_names(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/s.db", "JWT_SECRET": "s" * 40}
    done = cli("token", "--tenant", "t-a", "--tier", "free", **env)
    assert done.returncode == 0, done.stderr
    assert jwt.decode(done.stdout.strip(), "s" * 40, algorithms=["HS256"])["tier"] == "FREE"
    helptext = cli("token", "--help", **env).stdout
    assert "{FREE,PROFESSIONAL,ENTERPRISE}" in helptext and "Tier." not in helptext
    assert cli("token", "--tenant", "t-a", "--tier", "gold", **env).returncode == 2


@pytest.mark.parametrize("written", ["free", "Free", " FREE ", "FREE"])
def test_tier_names_typed_by_people_are_case_insensitive(written: str) -> None:
    # JWT claims stay exact (tests/test_auth_tokens.py): tokens are made by programs
    assert Tier.parse(written) is Tier.FREE


def test_tiers_file_sections_are_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text("[free]\nrequests_per_minute = 7\n")
    assert load_tiers(path)[Tier.FREE].requests_per_minute == 7
    path.write_text("[gold]\nrequests_per_minute = 7\n")
    with pytest.raises(ValueError, match="gold"):
        load_tiers(path)


async def test_demo_first_query_is_dated_inside_the_data(sqlite_demo_url: str) -> None:
    engine = create_engine(Settings(database_url=sqlite_demo_url))
    try:
        span = await data_span(engine, "t01-hotel-limmat-zurich")
    finally:
        await engine.dispose()
    assert span is not None and span[1] == date(2026, 2, 10)  # the demo fixture's last day
    result = await execute(sqlite_demo_url, first_query(span), tenants=["t01-hotel-limmat-zurich"])
    assert result.errors is None, result.errors
    tenant = result.data["tenant"]
    assert tenant["metrics"]["bookings"] > 0 and tenant["metrics"]["uniqueVisitors"] > 0
    assert tenant["series"][-1]["start"] <= "2026-02-10" and len(tenant["series"]) == 5
    text = banner(span, "TOKEN", "http://127.0.0.1:8000/graphql")
    assert first_query(span) in text and "Bearer TOKEN" in text


def test_rollup_refresh_and_check_run(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`rollup refresh` and `rollup check` run end to end (they once failed on a missing helper)."""
    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    refreshed = cli("rollup", "refresh", DATABASE_URL=url)
    checked = cli("rollup", "check", DATABASE_URL=url)
    assert refreshed.returncode == 0 and "rollups rebuilt for 0 tenant(s)" in refreshed.stdout, refreshed.stderr
    assert checked.returncode == 0 and "rollups rebuilt" in checked.stdout, checked.stderr
