"""Forecast quality: rolling-origin selection against the former AICc-only choice, same run.

    .venv/bin/python bench/forecast_quality.py [--tenants 6] [--days 730] [--metrics BOOKINGS,...]
                                               [--selections aicc,rolling] [--quick]

Series: real ones that ship inside statsmodels (statsmodels.datasets, no network) and the demo
tenants' series at DAY, WEEK and MONTH (a temporary store seeded with `analytics-gateway seed`).
Each series is forecast by exactly what a worker runs (resolvers.forecast_fit.fit_forecast)
with both selections, and scored twice:
  * api:   the `backtest` the API returns (metrics.md's MASE; coverage of its intervals);
  * outer: the whole procedure (selection included) run on the history without its last H
           periods and scored on them: an exam no part of the choice has seen (nested).
Per group: share of series with MASE < 1, median MASE, MASE <= 1 among the series whose
baseline is visible (the backtest's baseline is seasonal naive, or naive for series without a
season), share no worse than that baseline (same periods), pooled coverage of the 80 and 95 %
intervals, mean seconds per fit. Then, per series, how often the outer exam got worse than
under the AICc choice. `--quick` (2 tenants, two metrics) is for iterating; the full run takes
about half an hour on two cores. Nothing is asserted; it is not part of `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resolvers.forecast_backtest import BacktestResult, score  # noqa: E402
from resolvers.forecast_fit import fit_forecast, seasonal_period  # noqa: E402

SELECTIONS = ("aicc", "rolling")
OUTER = {"DAY": 28, "WEEK": 13, "MONTH": 12, "QUARTER": 8, "YEAR": 5}  # periods of the outer exam
POSITIVE = (0.0, float("inf"))
ANY = (-float("inf"), float("inf"))


@dataclass(frozen=True)
class Series:
    group: str
    name: str
    granularity: str
    values: list[float]
    bounds: tuple[float, float]


def real_series() -> list[Series]:
    import statsmodels.datasets as datasets

    co2 = datasets.co2.load_pandas().data["co2"].interpolate()
    elnino = datasets.elnino.load_pandas().data.drop(columns="YEAR").to_numpy().ravel()
    macro = datasets.macrodata.load_pandas().data
    sun = datasets.sunspots.load_pandas().data["SUNACTIVITY"]
    nile = datasets.nile.load_pandas().data["volume"]
    out = [
        Series("statsmodels", "co2 weekly (8 years)", "WEEK", list(co2.iloc[-416:]), POSITIVE),
        Series("statsmodels", "co2 monthly (20 years)", "MONTH", list(co2.resample("MS").mean().iloc[-240:]), POSITIVE),
        Series("statsmodels", "co2 monthly (26 months)", "MONTH", list(co2.resample("MS").mean().iloc[-26:]), POSITIVE),
        Series("statsmodels", "elnino SST monthly (15 years)", "MONTH", list(elnino[-180:]), POSITIVE),
        Series("statsmodels", "elnino SST monthly (26 months)", "MONTH", list(elnino[-26:]), POSITIVE),
        Series("statsmodels", "sunspots yearly (100 years)", "YEAR", list(sun.iloc[-100:]), POSITIVE),
        Series("statsmodels", "nile flow yearly", "YEAR", list(nile), POSITIVE),
    ]
    for column, bounds in (("realgdp", POSITIVE), ("realcons", POSITIVE), ("cpi", POSITIVE), ("unemp", POSITIVE),
                           ("infl", ANY), ("realinv", POSITIVE)):
        out.append(Series("statsmodels", f"macrodata {column} quarterly", "QUARTER", list(macro[column]), bounds))
    return [Series(s.group, s.name, s.granularity, [float(v) for v in s.values], s.bounds) for s in out]


def seed_demo(tenants: int, days: int) -> str:
    """A temporary SQLite store filled by the repo's own seed command."""
    path = Path(tempfile.mkdtemp(prefix="bench-quality-")) / "demo.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    cli = [sys.executable, "-m", "gateway.cli"]
    for command in (["init-db"], ["seed", "--tenants", str(tenants), "--days", str(days)]):
        subprocess.run(cli + command, env=env, cwd=ROOT, check=True, capture_output=True)
    return env["DATABASE_URL"]


async def demo_series(url: str, metrics: list[str]) -> list[Series]:
    """Each tenant's history exactly as a forecast reads it (whole periods up to yesterday)."""
    from sqlalchemy import select

    from core.metrics import spec
    from core.vocabulary import Granularity, Metric
    from gateway.database import create_engine
    from gateway.settings import Settings
    from loaders.service import DataService
    from loaders.tables import tenants
    from resolvers.forecast_history import history_window
    from resolvers.series import series

    engine = create_engine(Settings(database_url=url))
    out = []
    try:
        async with engine.connect() as conn:
            ids = [row[0] for row in await conn.execute(select(tenants.c.id).order_by(tenants.c.id))]
        for tenant_id in ids:
            loaders = DataService(engine).loaders()
            tenant = await loaders.tenants.load(tenant_id)
            span = await loaders.data_ranges.load(tenant_id)
            for granularity in (Granularity.DAY, Granularity.WEEK, Granularity.MONTH):
                window = history_window(span, granularity, datetime.now(UTC).date())
                for name in metrics:
                    metric = Metric(name)
                    points = await series(loaders, tenant, metric, window.days, granularity, tenant.currency)
                    values = [p.value for p in points]
                    out.append(Series(f"demo {granularity.value}", f"{tenant_id} {name}", granularity.value,
                                      values, spec(metric).bounds))
    finally:
        await engine.dispose()
    return out


@dataclass
class Score:
    mase: float
    baseline_mase: float | None
    visible: bool  # the baseline is the seasonal naive forecast (naive for a series without a season)
    inside80: int
    inside95: int
    points: int


def scored(bt: BacktestResult | None, m: int) -> Score | None:
    if bt is None:
        return None
    n = round(bt.holdout_points)
    visible = bt.baseline_model == ("seasonal_naive" if m > 1 else "naive")
    return Score(bt.mase, bt.baseline_mase, visible, round(bt.coverage80 * n / 100), round(bt.coverage95 * n / 100), n)


def outer(s: Series, selection: str) -> Score | None:
    h = OUTER[s.granularity]
    if len(s.values) < 2 * h + 4:
        return None
    training, actual = s.values[:-h], s.values[-h:]
    fit = fit_forecast(training, s.granularity, s.bounds, h, selection)
    m = seasonal_period(s.granularity, len(training))
    bands = (fit.lower80, fit.upper80, fit.lower95, fit.upper95)
    bt = score(training, actual, list(fit.mean), m, [True] * h, bands)
    return scored(bt, m)


def evaluate(all_series: list[Series], selections: list[str]) -> dict[tuple[str, str], dict[str, list]]:
    results: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for s in all_series:
        h = OUTER[s.granularity]
        m = seasonal_period(s.granularity, len(s.values))
        line = [f"{s.name} ({s.granularity}, n={len(s.values)})"]
        for selection in selections:
            started = time.perf_counter()
            fit = fit_forecast(s.values, s.granularity, s.bounds, h, selection)
            seconds = time.perf_counter() - started
            api, exam = scored(fit.backtest, m), outer(s, selection)
            results[("per series", selection)]["exams"].append(exam)
            for key in ((s.group, selection), ("all", selection)):
                results[key]["seconds"].append(seconds)
                if api is not None:
                    results[key]["api"].append(api)
                if exam is not None:
                    results[key]["outer"].append(exam)
            base = api.baseline_mase if api and api.baseline_mase is not None else float("nan")
            line.append(f"{selection}: {fit.model} api {api.mase if api else float('nan'):.2f} (baseline {base:.2f}) "
                        f"outer {exam.mase if exam else float('nan'):.2f} {seconds:.1f}s")
        print("  " + " | ".join(line), flush=True)
    return results


def table(results: dict[tuple[str, str], dict[str, list]]) -> None:
    print("\n| series | selection | n | MASE < 1 | median MASE | MASE <= 1, baseline visible | <= baseline "
          "| cover 80/95 | MASE < 1 (outer) | median MASE (outer) | MASE <= 1, visible (outer) | <= baseline (outer) "
          "| cover 80/95 (outer) | s per fit |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    groups = [item for item in results.items() if item[0][0] != "per series"]
    for (group, selection), r in sorted(groups, key=lambda item: (item[0][0] == "all", item[0])):
        cells = [group, selection, str(len(r["seconds"]))]
        for kind in ("api", "outer"):
            cells += summary(r[kind])
        cells.append(f"{statistics.mean(r['seconds']):.2f}")
        print("| " + " | ".join(cells) + " |")


def summary(scores: list[Score]) -> list[str]:
    if not scores:
        return ["-"] * 5
    mases = [x.mase for x in scores]
    points = sum(x.points for x in scores)
    visible = [x.mase for x in scores if x.visible]
    compared = [x for x in scores if x.baseline_mase is not None]
    return [
        f"{100 * np.mean([v < 1 for v in mases]):.0f} %",
        f"{statistics.median(mases):.2f}",
        f"{sum(v <= 1 for v in visible)} / {len(visible)}",
        f"{sum(x.mase <= x.baseline_mase + 1e-9 for x in compared)} / {len(compared)}",
        f"{100 * sum(x.inside80 for x in scores) / points:.0f} / {100 * sum(x.inside95 for x in scores) / points:.0f}",
    ]


def worse(results: dict[tuple[str, str], dict[str, list]], selections: list[str]) -> None:
    """Per series, the outer exam of each selection against the first (AICc): worse / better."""
    first = results[("per series", selections[0])]["exams"]
    for selection in selections[1:]:
        pairs = [(a, b) for a, b in zip(first, results[("per series", selection)]["exams"]) if a and b]
        worse_ = sum(b.mase > a.mase * 1.001 for a, b in pairs)
        better = sum(b.mase < a.mase / 1.001 for a, b in pairs)
        print(f"outer exam, {selection} against {selections[0]}: worse on {worse_}, better on {better}, "
              f"same on {len(pairs) - worse_ - better} of {len(pairs)} series")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=6)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--metrics", default="BOOKINGS,ROOM_NIGHTS,REVENUE")
    parser.add_argument("--no-demo", action="store_true", help="only the statsmodels series")
    parser.add_argument("--selections", default=",".join(SELECTIONS), help="aicc (the former choice), rolling")
    parser.add_argument("--quick", action="store_true", help="a subset for iterating: 2 tenants, two metrics")
    args = parser.parse_args()
    if args.quick:
        args.tenants, args.metrics = 2, "ROOM_NIGHTS,REVENUE"
    return args


def main(args: argparse.Namespace) -> None:
    all_series = real_series()
    if not args.no_demo:
        started = time.perf_counter()
        url = seed_demo(args.tenants, args.days)
        all_series += asyncio.run(demo_series(url, args.metrics.split(",")))
        print(f"seeded {args.tenants} demo tenants x {args.days} days in {time.perf_counter() - started:.0f} s")
    print(f"{len(all_series)} series; outer exam holds out {OUTER}")
    selections = args.selections.split(",")
    results = evaluate(all_series, selections)
    table(results)
    if len(selections) > 1:
        worse(results, selections)


if __name__ == "__main__":
    main(arguments())
