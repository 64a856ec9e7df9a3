"""One whole forecast job: clean the history, pick and fit the model, predict, backtest, bound.

`fit_forecast` is what the worker process runs; its argument and result are plain picklable
values so the event loop only ships numbers across.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from resolvers.forecast_backtest import BacktestResult, holdout_size, score
from resolvers.forecast_models import Prediction, Spec, fit_best, fit_spec, predict

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
    values: Sequence[float | None], granularity: str, bounds: tuple[float, float], horizon: int
) -> FitResult:
    y, seen = clean(values)
    if len(y) == 0:
        return FitResult("none", 0, (), (), (), (), (), None)
    m = seasonal_period(granularity, len(y))
    lo, hi = min(bounds[0], float(y.min())), max(bounds[1], float(y.max()))  # never narrower than the data
    spec, fitted = fit_best(y, m)
    out = _bounded(_finite(spec, fitted, y, horizon), lo, hi)
    return FitResult(
        model=spec.name,
        history_points=len(y),
        mean=_floats(out.mean),
        lower80=_floats(out.lower80),
        upper80=_floats(out.upper80),
        lower95=_floats(out.lower95),
        upper95=_floats(out.upper95),
        backtest=backtest(spec, y, seen, granularity, (lo, hi)),
    )


def backtest(
    spec: Spec, y: np.ndarray, seen: np.ndarray, granularity: str, bounds: tuple[float, float]
) -> BacktestResult | None:
    """The same spec refitted without the last periods and scored on them (metrics.md)."""
    h = holdout_size(granularity, len(y), spec.m, spec.min_points())
    if h < 1:
        return None
    training, actual = y[:-h], y[-h:]
    forecast = _bounded(_finite(spec, fit_spec(spec, training), training, h), *bounds).mean
    return score(
        [float(v) for v in training], [float(v) for v in actual], [float(v) for v in forecast], spec.m, list(seen[-h:])
    )


def _floats(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _finite(spec: Spec, fitted: object | None, y: np.ndarray, horizon: int) -> Prediction:
    """The model's prediction, or the naive one should a degenerate fit return NaN or inf."""
    out = predict(spec, fitted, y, horizon)
    if all(np.isfinite(a).all() for a in (out.mean, out.lower95, out.upper95)):
        return out
    return predict(Spec("naive", spec.m), None, y, horizon)


def _bounded(p: Prediction, lo: float, hi: float) -> Prediction:
    """Counts and money never go below 0, rates stay in [0, 1], NPS in [-100, 100]; the bands
    are nested around the point (simulated quantiles can graze the mean)."""
    mean = np.clip(p.mean, lo, hi)
    lower80 = np.minimum(np.clip(p.lower80, lo, hi), mean)
    upper80 = np.maximum(np.clip(p.upper80, lo, hi), mean)
    lower95 = np.minimum(np.clip(p.lower95, lo, hi), lower80)
    upper95 = np.maximum(np.clip(p.upper95, lo, hi), upper80)
    return Prediction(mean, lower80, upper80, lower95, upper95)
