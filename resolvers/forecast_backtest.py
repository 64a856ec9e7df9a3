"""Backtest scores, exactly as the contract's metrics.md (Forecasts) defines them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Holdout wanted per granularity when the seasonal period alone would be short (never below m).
HOLDOUT_TARGET = {"DAY": 28, "WEEK": 13, "MONTH": 12, "QUARTER": 4, "YEAR": 1}


@dataclass(frozen=True)
class BacktestResult:
    holdout_points: int
    mape: float | None
    smape: float
    mase: float
    baseline_model: str
    baseline_smape: float
    # the baseline's MASE on the same periods (same scale); None where the scale is 0 and it erred
    baseline_mase: float | None
    # percent of the scored actuals inside the 80 / 95 % intervals (nominal 80 and 95)
    coverage80: float
    coverage95: float
    # what was scored, kept so tests (and curious maintainers) can recompute every figure
    forecasts: tuple[float, ...] = ()
    actuals: tuple[float, ...] = ()
    bands: tuple[tuple[float, ...], ...] = ()  # lower80, upper80, lower95, upper95


def holdout_size(granularity: str, n: int, m: int, min_training: int) -> int:
    """One seasonal cycle or more (up to a fifth of the history), shrunk so the refit still fits; 0 = none."""
    wanted = max(m, min(HOLDOUT_TARGET[granularity], n // 5))
    return max(0, min(wanted, n - max(min_training, m + 1)))


def mape(actual: Sequence[float], forecast: Sequence[float]) -> float | None:
    if any(a == 0 for a in actual):
        return None
    return 100 / len(actual) * sum(abs(f - a) / abs(a) for a, f in zip(actual, forecast))


def smape(actual: Sequence[float], forecast: Sequence[float]) -> float:
    terms = (0.0 if a == f == 0 else 2 * abs(f - a) / (abs(a) + abs(f)) for a, f in zip(actual, forecast))
    return 100 / len(actual) * sum(terms)


def mase_scale(training: Sequence[float], m: int) -> float:
    """Mean |y_t - y_(t-m)| over the fitted (training) history."""
    diffs = [abs(training[t] - training[t - m]) for t in range(m, len(training))]
    return sum(diffs) / len(diffs)


def baseline(training: Sequence[float], h: int, m: int) -> tuple[str, list[float]]:
    """Seasonal naive from the training part: F(T+k) = y(T+k - m*ceil(k/m)); naive below 2m points."""
    t = len(training)
    if m <= 1 or t < 2 * m:
        return "naive", [training[-1]] * h
    return "seasonal_naive", [training[t + k - m * math.ceil(k / m) - 1] for k in range(1, h + 1)]


Bands = tuple[Sequence[float], Sequence[float], Sequence[float], Sequence[float]]  # lower80, upper80, lower95, upper95


def coverage(actual: Sequence[float], lower: Sequence[float], upper: Sequence[float]) -> float:
    """Percent of the actuals within [lower, upper], ends included."""
    return 100 * sum(lo <= a <= hi for a, lo, hi in zip(actual, lower, upper)) / len(actual)


def score(
    training: Sequence[float], actual: Sequence[float], forecast: Sequence[float], m: int, observed: Sequence[bool],
    bands: Bands,
) -> BacktestResult | None:
    """Scores over the held-out periods with an observed actual (a ratio period without a
    denominator has no actual, so it is not scored); None when MASE is undefined."""
    name, base = baseline(training, len(actual), m)
    keep = [i for i, seen in enumerate(observed) if seen]
    if not keep:
        return None
    a = [actual[i] for i in keep]
    f = [forecast[i] for i in keep]
    b = [base[i] for i in keep]
    scale = mase_scale(training, m)
    error = sum(abs(x - y) for x, y in zip(f, a)) / len(a)
    if scale == 0 and error > 0:
        return None  # a perfectly periodic history gives MASE no unit to scale by
    base_error = sum(abs(x - y) for x, y in zip(b, a)) / len(a)
    lo80, hi80, lo95, hi95 = ([band[i] for i in keep] for band in bands)
    return BacktestResult(
        holdout_points=len(actual),
        mape=mape(a, f),
        smape=smape(a, f),
        mase=0.0 if error == 0 else error / scale,
        baseline_model=name,
        baseline_smape=smape(a, b),
        baseline_mase=0.0 if base_error == 0 else (base_error / scale if scale > 0 else None),
        coverage80=coverage(a, lo80, hi80),
        coverage95=coverage(a, lo95, hi95),
        forecasts=tuple(forecast),
        actuals=tuple(actual),
        bands=tuple(tuple(band) for band in bands),
    )
