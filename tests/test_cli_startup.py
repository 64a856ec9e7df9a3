"""Start-up problems are one clear line each, before anything else is printed.

The CLI runs in-process (`main(argv)` reads the environment like the real command); the
process-level behaviour (signals, exit) is tested in tests/test_shutdown.py.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from gateway.cli import main
from tests import services
from tests.server_process import free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s" * 40


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str, **env: str) -> tuple[int, str, str]:
    for name, value in {"JWT_SECRET": SECRET, **env}.items():
        monkeypatch.setenv(name, value)
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    line = err.strip()
    assert line.count("\n") == 0 and "Traceback" not in line, err
    for needle in needles:
        assert needle in line, line


def test_serve_on_a_store_without_tables_says_what_to_run(monkeypatch, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(monkeypatch, capsys, "serve", DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/empty.db",
                         PORT=str(free_port()))
    assert_one_line(code, err, "analytics-gateway init-db")
    assert out == ""


@pytest.mark.parametrize("command", ["serve", "init-db"])
def test_a_missing_mysql_database_is_one_line(monkeypatch, capsys, command: str) -> None:  # type: ignore[no-untyped-def]
    with services.mariadb_database() as url:  # the server answers; the database below does not exist
        missing = url.rsplit("/", 1)[0] + "/gw_missing_database"
        code, _, err = run(monkeypatch, capsys, command, DATABASE_URL=missing)
    assert_one_line(code, err, "Unknown database", "gw_missing_database")


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_busy_port_is_one_line_and_no_token_is_printed(  # type: ignore[no-untyped-def]
    monkeypatch, capsys, sqlite_demo_url: str, command: str, tmp_path: Path
) -> None:
    copy = tmp_path / "demo.db"  # demo may write its secret beside the store
    shutil.copy(sqlite_demo_url.split("///", 1)[1], copy)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = run(monkeypatch, capsys, command, DATABASE_URL=f"sqlite+aiosqlite:///{copy}", PORT=str(port))
    assert_one_line(code, err, f"port {port}", "in use")
    assert "Bearer" not in out
