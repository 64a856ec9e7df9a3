"""The Prometheus instruments behind GET /metrics. No label ever holds a tenant or a user."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "gateway_requests_total", "GraphQL requests by operation type and outcome", ["operation", "outcome"]
)
REQUEST_SECONDS = Histogram(
    "gateway_request_seconds",
    "GraphQL request duration by operation type and outcome",
    ["operation", "outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SQL_STATEMENTS = Counter("gateway_sql_statements_total", "SQL statements sent to the store")
SQL_SECONDS = Histogram(
    "gateway_sql_seconds",
    "SQL statement duration",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
CACHE_HITS = Counter("gateway_cache_hits_total", "Result cache hits", ["layer"])
CACHE_MISSES = Counter("gateway_cache_misses_total", "Result cache misses", ["layer"])
# single flight: misses answered by an identical request's computation already under way
CACHE_SHARED = Counter(
    "gateway_cache_shared_total", "Misses answered by an identical computation already under way (single flight)", ["layer"]
)
CACHE_ERRORS = Counter("gateway_cache_errors_total", "Result cache backend failures and bypasses", ["layer"])
RATE_LIMITED = Counter("gateway_rate_limited_total", "Requests refused by a rate limit or budget", ["limit"])
POOL_IN_USE = Gauge("gateway_db_pool_in_use", "Database connections checked out of the pool")
LOOP_STALL_MAX = Gauge("gateway_loop_stall_max_seconds", "Longest event-loop stall seen since start")
# the part of a stall the loop's own thread spent computing (the rest: the OS ran something else,
# or other threads held the GIL), so a busy machine does not pass for a CPU-heavy step
LOOP_STALL_CPU_MAX = Gauge(
    "gateway_loop_stall_cpu_max_seconds", "Longest event-loop stall seen since start, counting the loop thread's CPU time only"
)
ROLLUP_REFRESHES = Counter(
    "gateway_rollup_refreshes_total", "Tenants whose rollups were rebuilt, by trigger", ["trigger"]
)
LIVE_RENDER_SECONDS = Histogram(
    "gateway_live_render_seconds",
    "Rendering one live event (or liveMetrics push) once for a group of subscribers",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
LIVE_FANOUT_SECONDS = Histogram(
    "gateway_live_fanout_seconds",
    "Handing one rendered push to every member of a group (written, or queued for a slow one)",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
