"""Static pages and vendored browser libraries served by the gateway (no build step)."""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
GRAPHIQL_PAGE = STATIC / "graphiql" / "index.html"
DASHBOARD_PAGE = STATIC / "dashboard" / "index.html"
