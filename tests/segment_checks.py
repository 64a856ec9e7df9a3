"""Queries and comparisons of funnelBy, attribution and retention against tests/oracle.py."""

from __future__ import annotations

from datetime import date
from datetime import date as D
from typing import Any

from tests.oracle import DIMENSIONS, Oracle

STEP = "{ step sessions conversionFromPrevious }"
MODELS = ("FIRST_TOUCH", "LAST_TOUCH")
# (tenant, from, to): year ends, the attribution edge day, short and long ranges, no data
RANGES = [
    ("orc-city-eur", D(2025, 7, 15), D(2025, 7, 15)),
    ("orc-city-eur", D(2024, 12, 1), D(2025, 1, 31)),
    ("orc-city-gbp", D(2024, 10, 1), D(2025, 12, 31)),
    ("orc-city-usd", D(2024, 12, 28), D(2025, 1, 3)),
    ("orc-resort-chf", D(2025, 2, 15), D(2025, 9, 30)),
    ("orc-resort-sek", D(2024, 11, 1), D(2025, 8, 31)),
    ("orc-resort-empty", D(2025, 1, 1), D(2025, 3, 31)),
]
LOOKBACKS = (0, 30, 90)
RETENTION_GRANULARITIES = ("WEEK", "MONTH", "QUARTER", "YEAR")


def _rng(start: date, end: date) -> str:
    return f'range: {{from: "{start.isoformat()}", to: "{end.isoformat()}"}}'


def query(tenant: str, start: date, end: date) -> str:
    r = _rng(start, end)
    fields = [f"f_{dim}: funnelBy(by: {dim}, {r}) {{ key steps {STEP} }}" for dim in DIMENSIONS]
    for model in MODELS:
        for dim in DIMENSIONS:
            for lookback in LOOKBACKS:
                fields.append(
                    f"a_{model}_{dim}_{lookback}: attribution(model: {model}, by: {dim}, {r}, lookbackDays: {lookback}, "
                    f'currency: "USD") {{ key bookings revenue {{ amount currency }} share }}'
                )
    fields += [
        f"r_{g}: retention({r}, granularity: {g}) {{ start customers returning }}" for g in RETENTION_GRANULARITIES
    ]
    fields.append(f"funnel({r}) {STEP}")
    return f'{{ tenant(id: "{tenant}") {{\n' + "\n".join(fields) + "\n} }"


def _close(a: float | None, b: Any) -> bool:
    if b is None or a is None:
        return a is None and b is None
    return abs(a - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def check(oracle: Oracle, tenant: str, start: date, end: date, got: dict[str, Any]) -> tuple[int, list[str]]:
    """Comparisons made and problems found."""
    problems: list[str] = []
    count = 0
    where = f"{tenant} {start}..{end}"
    funnel = got["funnel"]
    for dim in DIMENSIONS:
        expected = oracle.funnel_by(tenant, dim, start, end)
        rows = got[f"f_{dim}"]
        mine = {row["key"]: [(s["step"], s["sessions"], s["conversionFromPrevious"]) for s in row["steps"]] for row in rows}
        count += 1
        if set(mine) != set(expected):
            problems.append(f"{where} funnelBy({dim}) keys {sorted(mine)} != {sorted(expected)}")
            continue
        order = sorted(expected, key=lambda k: (-expected[k][0][1], k))
        if [row["key"] for row in rows] != order:
            problems.append(f"{where} funnelBy({dim}) order {[row['key'] for row in rows]} != {order}")
        for key, steps in expected.items():
            for (name, n, conv), (g_name, g_n, g_conv) in zip(steps, mine[key]):
                count += 1
                if (name, n) != (g_name, g_n) or not _close(g_conv, conv):
                    problems.append(f"{where} funnelBy({dim})[{key}][{name}]: {(g_name, g_n, g_conv)} != {(name, n, conv)}")
        # segments sum to the plain funnel, step by step
        for i, step in enumerate(funnel):
            count += 1
            total = sum(segment[i][1] for segment in mine.values())
            if total != step["sessions"]:
                problems.append(f"{where} funnelBy({dim}) {step['step']} sums to {total}, funnel says {step['sessions']}")
    for model in MODELS:
        for dim in DIMENSIONS:
            for lookback in LOOKBACKS:
                expected = oracle.attribution(tenant, model, dim, start, end, lookback, "USD")
                rows = got[f"a_{model}_{dim}_{lookback}"]
                mine = {row["key"]: row for row in rows}
                label = f"{where} attribution({model}, {dim}, {lookback})"
                count += 1
                if set(mine) != set(expected) or len(rows) != len(mine):
                    problems.append(f"{label} keys {sorted(mine)} != {sorted(expected)}")
                    continue
                order = sorted(expected, key=lambda k: (-expected[k][0], -expected[k][1], k))
                if [row["key"] for row in rows] != order:
                    problems.append(f"{label} order {[row['key'] for row in rows]} != {order}")
                for key, (bookings, revenue, share) in expected.items():
                    count += 3
                    row = mine[key]
                    if row["bookings"] != bookings or row["revenue"] != {"amount": str(revenue), "currency": "USD"}:
                        problems.append(f"{label}[{key}] {row} != {(bookings, str(revenue))}")
                    if not _close(row["share"], share):
                        problems.append(f"{label}[{key}].share {row['share']} != {float(share)}")
    for g in RETENTION_GRANULARITIES:
        expected = oracle.retention(tenant, start, end, g)
        rows = got[f"r_{g}"]
        count += 1
        if len(rows) != len(expected):
            problems.append(f"{where} retention({g}): {len(rows)} cohorts, expected {len(expected)}")
            continue
        for row, (first, customers, shares) in zip(rows, expected):
            count += 2 + len(shares)
            if row["start"] != first.isoformat() or row["customers"] != customers:
                problems.append(f"{where} retention({g}) {row['start']}: {row['customers']} != {first} {customers}")
            if len(row["returning"]) != len(shares):
                problems.append(f"{where} retention({g}) {first}: {len(row['returning'])} shares != {len(shares)}")
                continue
            for k, (value, share) in enumerate(zip(row["returning"], shares), start=1):
                want = 0.0 if share is None else share  # an empty cohort reports 0
                if not _close(value, want):
                    problems.append(f"{where} retention({g}) {first} k={k}: {value} != {float(want)}")
    return count, problems
