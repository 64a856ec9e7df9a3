"""The GraphQL-over-HTTP audit (graphql-http's serverAudits, from npm) against the real server.

No audit may fail; the warnings allowed are the ones docs/limits.md explains. `.ci/run`
installs the audit (`npm install --prefix tests/http_audit`); without it the test is skipped,
or fails under GATEWAY_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.conftest import SECRET
from tests.server_process import ROOT, free_port, serve
from tests.services import unavailable

AUDIT = ROOT / "tests" / "http_audit"
# by design (docs/limits.md): no application/graphql-response+json, and 400 (not 200) with
# "data": null when nothing ran
ACCEPTED_WARNINGS = {
    "SHOULD accept application/graphql-response+json and match the content-type",
    "SHOULD use 200 status code on document parsing failure when accepting application/json",
    "SHOULD use 200 status code on document validation failure when accepting application/json",
    "SHOULD use a status code of 200 on variable coercion failure when accepting application/json",
    "SHOULD not contain the data entry on document parsing failure when accepting application/graphql-response+json",
    "SHOULD not contain the data entry on document validation failure when accepting application/graphql-response+json",
}


def test_graphql_over_http_audit(sqlite_demo_url: str, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (AUDIT / "node_modules" / "graphql-http").is_dir():
        unavailable("the graphql-http audit (node and `npm install --prefix tests/http_audit`)", FileNotFoundError())
    store = tmp_path / "store.db"
    shutil.copy(sqlite_demo_url.split("///", 1)[1], store)
    port = free_port()
    server = serve(store, port, SECRET, IP_ATTEMPTS_PER_MINUTE="100000")  # the audit sends ~60 anonymous requests
    try:
        done = subprocess.run([node, "audit.mjs", f"http://127.0.0.1:{port}/graphql"], cwd=AUDIT,
                              capture_output=True, text=True, timeout=300, check=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    results = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(results) > 50, done.stderr
    errors = [r for r in results if r["status"] == "error"]
    warnings = {r["name"] for r in results if r["status"] == "warn"}
    assert errors == []
    assert warnings <= ACCEPTED_WARNINGS, warnings - ACCEPTED_WARNINGS
