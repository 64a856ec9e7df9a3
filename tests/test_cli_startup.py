"""Start-up problems are one clear line each, before anything else is printed."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests import services

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s" * 40


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "JWT_SECRET": SECRET, **env})


def assert_one_line(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert line.count("\n") == 0 and "Traceback" not in line, done.stderr
    for needle in needles:
        assert needle in line, line


def test_serve_on_a_store_without_tables_says_what_to_run(tmp_path: Path) -> None:
    done = run("serve", DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/empty.db", PORT=str(free_port()))
    assert_one_line(done, "analytics-gateway init-db")
    assert done.stdout == ""


def test_a_missing_mysql_database_is_one_line() -> None:
    with services.mariadb_database() as url:  # the server answers; the database below does not exist
        missing = url.rsplit("/", 1)[0] + "/gw_missing_database"
        for command in ("serve", "init-db"):
            assert_one_line(run(command, DATABASE_URL=missing), "Unknown database", "gw_missing_database")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_busy_port_is_one_line_and_no_token_is_printed(sqlite_demo_url: str, command: str, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "demo.db"  # demo may write its secret beside the store
    shutil.copy(sqlite_demo_url.split("///", 1)[1], copy)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run(command, DATABASE_URL=f"sqlite+aiosqlite:///{copy}", PORT=str(port))
    assert_one_line(done, f"port {port}", "in use")
    assert "Bearer" not in done.stdout
