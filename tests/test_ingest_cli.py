"""`analytics-gateway import` as a subprocess, and crashes in the middle of a write, on SQLite and MariaDB."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from gateway.cli import main
from gateway.database import create_engine
from gateway.settings import Settings
from ingest.kinds import Kind
from ingest.service import Ingestor
from tests.ingest_support import count, pageview, prepare
from tests.services import fresh_store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"
HEADER = "eventId,ts,visitorId,sessionId,step,channel,device,country,loggedIn\n"


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_import(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """The CLI's main() in this process (a subprocess start costs seconds here)."""

    def run(url: str, *args: str) -> Done:
        monkeypatch.setenv("DATABASE_URL", url)
        capsys.readouterr()
        code = main(["import", *args])
        out = capsys.readouterr()
        return Done(code, out.out, out.err)

    return run


def spawn_import(url: str, *args: str) -> subprocess.Popen[str]:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": url}
    command = [sys.executable, "-m", "gateway.cli", "import", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _csv(path: Path, rows: int) -> Path:
    start = datetime(2025, 1, 1)
    with path.open("w") as out:
        out.write(HEADER)
        for n in range(rows):
            ts = (start + timedelta(seconds=7 * n)).isoformat()
            out.write(f"e-{n},{ts}Z,v-{n % 977},s-{n % 3001},LANDING,direct,desktop,DE,false\n")
    return path


@pytest.fixture
def store(empty_store_url: str) -> str:
    asyncio.run(prepare(empty_store_url))
    return empty_store_url


def test_import_the_examples_twice(run_import, store: str) -> None:  # type: ignore[no-untyped-def]
    for kind in ("fx", "pageviews", "bookings", "surveys"):
        done = run_import(store, kind, str(EXAMPLES / f"{kind}.csv"), "--tenant", "ing-a", "--quiet")
        assert done.returncode == 0, done.stderr
    assert asyncio.run(count(store, "pageviews", "ing-a")) == 8
    assert asyncio.run(count(store, "bookings", "ing-a")) == 3
    assert asyncio.run(count(store, "surveys", "ing-a")) == 3
    again = run_import(store, "bookings", str(EXAMPLES / "bookings.csv"), "--tenant", "ing-a")
    assert again.returncode == 0
    assert "0 inserted, 0 updated, 3 duplicates" in again.stdout
    assert "rows" in again.stderr  # the progress bar counts rows


def test_bad_rows_are_reported_by_line_and_nothing_is_written(run_import, store: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "pv.csv"
    path.write_text(HEADER + "a,2025-01-01T00:00:00Z,v,s,LANDING,direct,desktop,DE,false\n"
                    "b,2025-01-01T00:00:00Z,v,s,LANDING,telepathy,desktop,DE,false\n"
                    "c,2025-01-01T00:00:00,v,s,,direct,desktop,,true\n"
                    "d,2025-01-01T00:00:00Z,v,s,,direct,desktop,,true\n")
    refused = run_import(store, "pageviews", str(path), "--tenant", "ing-a", "--quiet")
    assert refused.returncode == 1
    assert "line 3: channel: unknown channel 'telepathy'" in refused.stderr
    assert "line 4: ts:" in refused.stderr
    assert asyncio.run(count(store, "pageviews")) == 0
    skipped = run_import(store, "pageviews", str(path), "--tenant", "ing-a", "--quiet", "--skip-invalid")
    assert skipped.returncode == 0, skipped.stderr
    assert "2 inserted" in skipped.stdout and "2 invalid skipped" in skipped.stdout
    assert asyncio.run(count(store, "pageviews")) == 2


def test_unknown_tenant_is_an_error(run_import, store: str) -> None:  # type: ignore[no-untyped-def]
    done = run_import(store, "surveys", str(EXAMPLES / "surveys.csv"), "--tenant", "nobody", "--quiet")
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_killed_import_keeps_whole_chunks_and_resumes(run_import, store: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows, chunk = 20_000, 1_000
    path = _csv(tmp_path / "big.csv", rows)
    process = spawn_import(store, "pageviews", str(path), "--tenant", "ing-a", "--commit-rows", str(chunk))
    deadline = time.monotonic() + 120
    stored = 0
    while stored == 0 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        stored = asyncio.run(count(store, "pageviews"))
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    stored = asyncio.run(count(store, "pageviews"))
    assert 0 < stored < rows and stored % chunk == 0, stored  # whole chunks only
    resumed = run_import(store, "pageviews", str(path), "--tenant", "ing-a", "--commit-rows", str(chunk), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert f"{rows - stored} inserted, 0 updated, {stored} duplicates" in resumed.stdout
    assert asyncio.run(count(store, "pageviews")) == rows


WRITER = """
import asyncio, sys
from gateway.cli import main
from gateway.database import create_engine
from gateway.settings import Settings
from ingest.kinds import Kind
from ingest.service import IngestPolicy, Ingestor
from tests.ingest_support import pageview

async def main() -> None:
    engine = create_engine(Settings(database_url=sys.argv[1]))
    ingestor = Ingestor(engine, IngestPolicy(max_batch=10**6, chunk_rows=1000))
    items = [pageview(n) for n in range(int(sys.argv[2]))]
    print("writing", flush=True)
    await ingestor.record(Kind.PAGEVIEWS, "ing-a", items, partial=False)
    print("committed", flush=True)

asyncio.run(main())
"""


def test_a_killed_writer_leaves_all_or_nothing(store: str) -> None:
    rows = 20_000
    process = subprocess.Popen([sys.executable, "-c", WRITER, store, str(rows)], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "writing"
    time.sleep(0.5)  # validation is over; the one transaction is under way (or done)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert asyncio.run(count(store, "pageviews")) in (0, rows)


@pytest.fixture
def maria_store(tmp_path: Path) -> Iterator[str]:
    with fresh_store("mariadb", str(tmp_path)) as url:
        asyncio.run(prepare(url))
        yield url


@pytest.mark.mariadb
def test_a_connection_killed_inside_the_transaction_leaves_nothing(maria_store: str) -> None:
    import pymysql

    store = maria_store

    async def scenario() -> None:
        engine = create_engine(Settings(database_url=store))
        inserts = 0

        def kill_after_second_insert(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
            nonlocal inserts
            if statement.startswith("INSERT INTO pageviews"):
                inserts += 1
                if inserts == 2:  # two chunks written inside the transaction, more to come
                    thread_id = conn.connection.dbapi_connection._connection.thread_id()
                    admin = pymysql.connect(host="127.0.0.1", user="root")
                    with admin.cursor() as killer:
                        killer.execute(f"KILL {int(thread_id)}")
                    admin.close()

        event.listen(engine.sync_engine, "after_cursor_execute", kill_after_second_insert)
        ingestor = Ingestor(engine, Settings(database_url=store, ingest_chunk_rows=500).ingest_policy)
        items = [pageview(n) for n in range(2_000)]
        try:
            with pytest.raises(Exception):
                await ingestor.record(Kind.PAGEVIEWS, "ing-a", items, partial=False)
        finally:
            await engine.dispose()
        assert inserts == 2
        assert await count(store, "pageviews") == 0
        # the same batch, sent again, is stored whole
        engine = create_engine(Settings(database_url=store))
        try:
            outcome = await Ingestor(engine).record(Kind.PAGEVIEWS, "ing-a", items, partial=False)
        finally:
            await engine.dispose()
        assert outcome.inserted == 2_000
        assert await count(store, "pageviews") == 2_000

    asyncio.run(scenario())


def test_an_import_bumps_the_shared_data_version(run_import, store: str, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Servers sharing the Redis see an import at once: their cache keys hold the version."""
    import redis

    from tests.services import redis_url

    url = redis_url()
    monkeypatch.setenv("REDIS_URL", url)
    client = redis.Redis.from_url(url)
    key = "gateway:data-version:ing-a"
    try:
        before = int(client.get(key) or 0)
        done = run_import(store, "pageviews", str(EXAMPLES / "pageviews.csv"), "--tenant", "ing-a", "--quiet")
        assert done.returncode == 0, done.stderr
        assert int(client.get(key) or 0) > before
    finally:
        client.close()
