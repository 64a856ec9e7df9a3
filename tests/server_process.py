"""`analytics-gateway serve` as its own process on a free port, for tests and benchmarks that need
a real server (signals, shutdown, load from another process)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(store: Path | str, port: int, secret: str, **env: str) -> subprocess.Popen[bytes]:
    """The server on `store` (a URL or an SQLite file), up and answering /health when it returns.

    The alert worker and webhook poller stay idle unless `env` says otherwise, so that nothing but
    the caller touches the store."""
    url = store if isinstance(store, str) else f"sqlite+aiosqlite:///{store}"
    environment = {"PATH": os.environ["PATH"], "JWT_SECRET": secret, "DATABASE_URL": url, "PORT": str(port),
                   "LOG_LEVEL": "WARNING", "ALERT_EVAL_INTERVAL_SECONDS": "0", "WEBHOOK_POLL_SECONDS": "3600", **env}
    process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve"], cwd=ROOT, env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_until_up(port, process)
    return process


def wait_until_up(port: int, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited: " + (process.stderr.read().decode() if process.stderr else ""))
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not come up")
