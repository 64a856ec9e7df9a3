"""`analytics-gateway ARGS` run in the test process (a subprocess spends seconds importing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from gateway.cli import main

# settings a test's environment must not leak into a command
CLEARED = ("DATABASE_URL", "JWT_SECRET", "REDIS_URL", "APQ_ALLOWLIST", "APQ_ALLOWLIST_FILE")


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Done]:
    def run(*args: str, **env: str) -> Done:
        for name in CLEARED:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse refusals and --help
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return run
