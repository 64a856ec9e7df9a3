"""One whole forecast job: clean the history, select and fit the model, predict, bound, backtest.

`fit_forecast` is what the worker process runs; its argument and result are plain picklable
values so the event loop only ships numbers across.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from resolvers.forecast_backtest import BacktestResult, holdout_size, score
from resolvers.forecast_models import fit_best
from resolvers.forecast_intervals import clip, widen
from resolvers.forecast_selection import Choice, forecast_with, select

# Seasonal period per granularity; WEEK uses 52 only with two years and a bit of history.
SEASONAL_PERIOD = {"DAY": 7, "WEEK": 52, "MONTH": 12, "QUARTER": 4, "YEAR": 1}


@dataclass(frozen=True)
class FitResult:
    model: str
    history_points: int
    mean: tuple[float, ...]
    lower80: tuple[float, ...]
    upper80: tuple[float, ...]
    lower95: tuple[float, ...]
    upper95: tuple[float, ...]
    backtest: BacktestResult | None


def seasonal_period(granularity: str, n: int) -> int:
    m = SEASONAL_PERIOD[granularity]
    if granularity == "WEEK" and n < 2 * m + 2:
        return 1  # a yearly cycle of weeks is not estimable from less than two years
    return m


def clean(values: Sequence[float | None]) -> tuple[np.ndarray, np.ndarray]:
    """Nulls (ratio periods without a denominator) are not zeros: leading ones are dropped,
    inner ones interpolated linearly, trailing ones carry the last value forward.
    Returns the filled series and a mask of the periods that had a value."""
    first = next((i for i, v in enumerate(values) if v is not None), len(values))
    kept = values[first:]
    seen = np.array([v is not None for v in kept], dtype=bool)
    if not seen.any():
        return np.array([], dtype=float), seen
    x = np.arange(len(kept))
    known = np.array([v for v in kept if v is not None], dtype=float)
    return np.interp(x, x[seen], known), seen  # np.interp holds the end value flat


def fit_forecast(
    values: Sequence[float | None], granularity: str, bounds: tuple[float, float], horizon: int,
    selection: str = "rolling",
) -> FitResult:
    """`selection`: "rolling" (rolling-origin accuracy, what the gateway serves) or "aicc" (the
    former in-sample choice, kept as bench/forecast_quality.py's baseline)."""
    y, seen = clean(values)
    if len(y) == 0:
        return FitResult("none", 0, (), (), (), (), (), None)
    m = seasonal_period(granularity, len(y))
    lo, hi = min(bounds[0], float(y.min())), max(bounds[1], float(y.max()))  # never narrower than the data
    if selection == "aicc":
        spec, fitted = fit_best(y, m)
        choice = Choice(spec, fitted, None, {}, 0, ())
    else:
        choice = select(y, seen, m, granularity, horizon, (lo, hi))
    scored = backtest(choice, y, seen, granularity, (lo, hi))
    if selection != "aicc" and loses_to_baseline(choice, scored):
        choice = choice.to_baseline()
        scored = backtest(choice, y, seen, granularity, (lo, hi))
    out = clip(widen(forecast_with(choice.spec, y, horizon, choice.fitted), choice.widen), lo, hi)
    return FitResult(
        model=choice.spec.name,
        history_points=len(y),
        mean=_floats(out.mean),
        lower80=_floats(out.lower80),
        upper80=_floats(out.upper80),
        lower95=_floats(out.lower95),
        upper95=_floats(out.upper95),
        backtest=scored,
    )


def loses_to_baseline(choice: Choice, scored: BacktestResult | None) -> bool:
    """The chosen model's backtest MASE is above 1 (it lost to the seasonal naive scale) and
    above the baseline's on the same held-out periods, and that baseline is the contest's
    (seasonal naive on 2+ training cycles, or naive without a season): an API that knows its
    model is worse than the baseline it reports must serve the baseline. A model at MASE <= 1
    stays even where the baseline was luckier on this one window: a single holdout is too
    noisy to overrule the rolling-origin contest (on the bench's unseen window, swapping such
    models for the baseline made daily series worse)."""
    if scored is None or scored.baseline_mase is None or choice.baseline is None:
        return False
    return choice.spec != choice.baseline and scored.baseline_model == choice.baseline.kind and (
        scored.mase > max(1.0, scored.baseline_mase)
    )


def backtest(
    choice: Choice, y: np.ndarray, seen: np.ndarray, granularity: str, bounds: tuple[float, float]
) -> BacktestResult | None:
    """The same spec refitted without the last periods and scored on them (metrics.md), its
    intervals widened as the served ones are."""
    spec = choice.spec
    h = holdout_size(granularity, len(y), spec.m, spec.min_points())
    if h < 1:
        return None
    training, actual = y[:-h], y[-h:]
    out = clip(widen(forecast_with(spec, training, h), choice.widen), *bounds)
    return score(
        [float(v) for v in training], [float(v) for v in actual], [float(v) for v in out.mean], spec.m,
        list(seen[-h:]), (_floats(out.lower80), _floats(out.upper80), _floats(out.lower95), _floats(out.upper95)),
    )


def warm_up() -> str:
    """What a new worker runs once: imports statsmodels and fits a tiny series with every kind
    of model, so the first real request pays neither."""
    y = [10.0 + (i % 4) + 0.1 * i for i in range(24)]
    return fit_forecast(y, "QUARTER", (0.0, float("inf")), 4).model


def _floats(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in values)
