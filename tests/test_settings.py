"""Configuration fails loudly, in one line, on bad values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.settings import Settings, describe

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DATABASE_URL": "postgresql://x/y"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://localhost"}, "REDIS_URL"),
        ({"JWT_ALGORITHMS": "none"}, "JWT_ALGORITHMS"),
        ({"JWT_PUBLIC_KEY_FILE": "/nonexistent.pem"}, "JWT_PUBLIC_KEY_FILE"),
        ({"MAX_RANGE_DAYS": "0"}, "MAX_RANGE_DAYS"),
        ({"JWT_SECRET": "abc"}, "JWT_SECRET"),
        ({"JWT_SECRET": "x" * 31}, "JWT_SECRET"),
    ],
)
def test_bad_values_are_named(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], needle: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    line = describe(caught.value)
    assert needle in line and "\n" not in line


def test_defaults() -> None:
    settings = Settings(_env_file=None)
    assert settings.port == 8000
    assert settings.is_sqlite and settings.sqlite_path is not None
    assert settings.redis_url is None


def test_cli_stops_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PORT": "nope", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/s.db"}
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "PORT" in done.stderr


def test_token_command_prints_only_a_verifiable_token(tmp_path: Path) -> None:
    import jwt

    env = {"PATH": "/usr/bin:/bin", "JWT_SECRET": "s" * 40, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/s.db"}
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "token", "--tenant", "a", "--tenant", "b", "--tier", "ENTERPRISE",
         "--ttl", "2h"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    token = done.stdout.strip()
    assert "\n" not in token
    claims = jwt.decode(token, "s" * 40, algorithms=["HS256"])
    assert claims["tenants"] == ["a", "b"] and claims["tier"] == "ENTERPRISE"
    assert 7100 <= claims["exp"] - claims["iat"] <= 7200


def test_each_token_gets_its_own_subject_unless_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import jwt

    from gateway.cli import main

    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/s.db")

    def subject(*extra: str) -> str:
        assert main(["token", "--tenant", "a", *extra]) == 0
        return jwt.decode(capsys.readouterr().out.strip(), "s" * 40, algorithms=["HS256"])["sub"]

    assert subject() != subject()
    assert subject("--subject", "alice") == subject("--subject", "alice") == "alice"
