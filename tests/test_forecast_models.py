"""The forecasting numerics on generated series: model choice, intervals, backtest, edge cases.

Everything here calls the pure functions (no store): resolvers.forecast_fit.fit_forecast is
exactly what the worker process runs for a GraphQL request.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from resolvers.forecast_fit import clean, fit_forecast
from resolvers.forecast_models import Spec, fit_spec, naive_predict, predict

INF = math.inf


def seasonal_series(
    n: int, m: int, seed: int, trend: float = 0.4, amplitude: float = 25.0, noise: float = 4.0
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 200 + trend * t + amplitude * np.sin(2 * np.pi * t / m) + rng.normal(0, noise, n)


def local_level(rng: np.random.Generator, n: int, h: int, alpha: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """ETS(A,N,N): y_t = l_(t-1) + e_t, l_t = l_(t-1) + alpha * e_t."""
    errors = rng.normal(0, 1, n + h)
    y, level = np.empty(n + h), 50.0
    for t in range(n + h):
        y[t] = level + errors[t]
        level += alpha * errors[t]
    return y[:n], y[n:]


def is_seasonal(model: str) -> bool:
    return model in ("seasonal_naive", "theta", "ets(A,Ad,N)+seasonal_indices", "mstl(7,365)+ets(A,Ad,N)") or (
        model.startswith("ets(A,") and model[-2] in "AM"
    )


# ------------------------------------------------------------------ the model beats the baseline


@pytest.mark.parametrize(
    ("granularity", "n", "m", "seed"),
    [("DAY", 210, 7, 1), ("DAY", 120, 7, 2), ("MONTH", 48, 12, 3), ("QUARTER", 40, 4, 4)],
)
def test_a_seasonal_model_with_trend_beats_the_baseline(granularity: str, n: int, m: int, seed: int) -> None:
    y = seasonal_series(n, m, seed)
    fit = fit_forecast(list(y), granularity, (0.0, INF), 8)
    assert is_seasonal(fit.model), fit.model  # never a line: the season is clear
    assert fit.history_points == n
    bt = fit.backtest
    assert bt is not None and bt.holdout_points >= m  # at least one seasonal cycle held out
    assert bt.baseline_model == "seasonal_naive"
    assert bt.mase < 1, bt


def test_forecast_follows_the_known_pattern() -> None:
    """Beyond the backtest: the forecast of the next cycle is close to the noise-free truth."""
    n, m = 210, 7
    y = seasonal_series(n, m, seed=5, noise=2.0)
    fit = fit_forecast(list(y), "DAY", (0.0, INF), 14)
    t = np.arange(n, n + 14)
    truth = 200 + 0.4 * t + 25.0 * np.sin(2 * np.pi * t / m)
    assert np.max(np.abs(np.array(fit.mean[:14]) - truth)) < 6.0
    covered = np.mean((truth >= np.array(fit.lower95[:14])) & (truth <= np.array(fit.upper95[:14])))
    assert covered == 1.0


# ------------------------------------------------------------------ interval coverage


def test_ets_interval_coverage_is_near_nominal() -> None:
    """300 local-level series of 50 points, ETS(A,N,N) refitted on each, scored 1..3 steps ahead.

    Tolerance (stated in docs/intelligence.md): 80 % within 5 points, 95 % within 3 points.
    """
    rng = np.random.default_rng(20240601)
    spec = Spec("ets", 1)
    inside80 = inside95 = total = 0
    for _ in range(300):
        y, future = local_level(rng, 50, 3)
        p = predict(spec, fit_spec(spec, y), y, 3)
        inside80 += int(np.sum((future >= p.lower80) & (future <= p.upper80)))
        inside95 += int(np.sum((future >= p.lower95) & (future <= p.upper95)))
        total += 3
    assert abs(inside80 / total - 0.80) <= 0.05, inside80 / total
    assert abs(inside95 / total - 0.95) <= 0.03, inside95 / total


def test_naive_interval_coverage_is_near_nominal() -> None:
    """Random walks: the naive model is the true model, so coverage must be close (2000 draws)."""
    rng = np.random.default_rng(7)
    inside80 = inside95 = total = 0
    for _ in range(2000):
        y = np.cumsum(rng.normal(0, 1, 25))
        future = y[-1] + np.cumsum(rng.normal(0, 1, 4))
        p = naive_predict(y, 4, 1)
        inside80 += int(np.sum((future >= p.lower80) & (future <= p.upper80)))
        inside95 += int(np.sum((future >= p.lower95) & (future <= p.upper95)))
        total += 4
    assert abs(inside80 / total - 0.80) <= 0.02, inside80 / total
    assert abs(inside95 / total - 0.95) <= 0.015, inside95 / total


# ------------------------------------------------------------------ short, flat, zero, bounded


def test_empty_history_has_no_model() -> None:
    fit = fit_forecast([], "DAY", (0.0, INF), 5)
    assert (fit.model, fit.history_points, fit.mean, fit.backtest) == ("none", 0, (), None)


@pytest.mark.parametrize(
    ("n", "model"), [(1, "naive"), (5, "naive"), (7, "naive"), (8, "seasonal_naive"), (15, "seasonal_naive")]
)
def test_short_daily_history_falls_back(n: int, model: str) -> None:
    y = list(seasonal_series(n, 7, seed=n))
    fit = fit_forecast(y, "DAY", (0.0, INF), 10)
    assert fit.model == model
    assert len(fit.mean) == 10
    if model == "seasonal_naive":  # the last cycle repeated
        assert fit.mean[:7] == pytest.approx(y[-7:])
    else:
        assert fit.mean == pytest.approx([y[-1]] * 10)
    assert all(lo95 <= lo80 <= v <= hi80 <= hi95 for lo95, lo80, v, hi80, hi95 in zip(
        fit.lower95, fit.lower80, fit.mean, fit.upper80, fit.upper95))
    # the backtest needs a training part longer than one cycle, and holds out what is left
    assert (fit.backtest is None) == (n <= 8)


def test_short_weekly_history_uses_no_yearly_cycle() -> None:
    y = list(seasonal_series(60, 52, seed=3))
    fit = fit_forecast(y, "WEEK", (0.0, INF), 4)
    assert fit.model.startswith("ets(A,") and fit.model.endswith(",N)")
    assert fit.backtest is not None and fit.backtest.baseline_model == "naive"


def test_flat_history_forecasts_the_level_with_certainty() -> None:
    fit = fit_forecast([12.0] * 60, "DAY", (0.0, INF), 5)
    assert fit.model == "naive"
    assert fit.mean == fit.lower95 == fit.upper95 == (12.0,) * 5
    assert fit.backtest is not None and (fit.backtest.mase, fit.backtest.smape, fit.backtest.mape) == (0.0, 0.0, 0.0)


def test_all_zero_history() -> None:
    fit = fit_forecast([0.0] * 40, "DAY", (0.0, INF), 5)
    assert fit.model == "naive" and fit.mean == (0.0,) * 5 and fit.lower95 == (0.0,) * 5
    bt = fit.backtest
    assert bt is not None and bt.mape is None and bt.smape == 0.0 and bt.mase == 0.0


def test_counts_never_go_negative() -> None:
    rng = np.random.default_rng(9)
    y = list(rng.poisson(1.0, 120).astype(float))  # sparse bookings: bands reach below zero
    fit = fit_forecast(y, "DAY", (0.0, INF), 30)
    assert min(fit.lower95) == 0.0 and min(fit.mean) >= 0.0


@pytest.mark.parametrize(("bounds", "centre", "spread"), [((0.0, 1.0), 0.95, 0.08), ((-100.0, 100.0), 92.0, 12.0)])
def test_ratios_stay_within_their_bounds(bounds: tuple[float, float], centre: float, spread: float) -> None:
    rng = np.random.default_rng(4)
    y = list(np.clip(centre + rng.normal(0, spread, 100), *bounds))
    fit = fit_forecast(y, "DAY", bounds, 20)
    for column in (fit.mean, fit.lower80, fit.upper80, fit.lower95, fit.upper95):
        assert all(bounds[0] <= v <= bounds[1] for v in column)
    assert max(fit.upper95) == bounds[1]  # the band was cut, not shifted


def test_nulls_are_skipped_and_filled() -> None:
    values = [None, None, 0.2, None, 0.4, 0.5, None]
    y, seen = clean(values)
    assert list(y) == pytest.approx([0.2, 0.3, 0.4, 0.5, 0.5])
    assert list(seen) == [True, False, True, True, False]
    fit = fit_forecast(values, "DAY", (0.0, 1.0), 3)
    assert fit.history_points == 5 and fit.model == "naive"
    assert fit_forecast([None] * 9, "DAY", (0.0, 1.0), 3).model == "none"


# ------------------------------------------------------------------ backtest, recomputed from metrics.md


def _expected_scores(training: list[float], actual: list[float], forecast: list[float], m: int) -> dict:
    n = len(actual)
    def smape_of(values: list[float]) -> float:
        return 100 / n * sum(0 if a == f == 0 else 2 * abs(f - a) / (abs(a) + abs(f)) for a, f in zip(actual, values))

    mape = None if any(a == 0 for a in actual) else 100 / n * sum(abs(f - a) / abs(a) for a, f in zip(actual, forecast))
    smape = smape_of(forecast)
    scale = np.mean([abs(training[t] - training[t - m]) for t in range(m, len(training))])
    mase = np.mean([abs(f - a) for a, f in zip(actual, forecast)]) / scale
    T = len(training)
    if T < 2 * m or m == 1:
        baseline, name = [training[-1]] * n, "naive"
    else:  # F(T+k) = y(T+k - m*ceil(k/m)), 1-based
        baseline, name = [training[T + k - m * math.ceil(k / m) - 1] for k in range(1, n + 1)], "seasonal_naive"
    return {"mape": mape, "smape": smape, "mase": mase, "baseline_model": name, "baseline_smape": smape_of(baseline)}


@pytest.mark.parametrize(
    ("granularity", "n", "m", "zero_at"),
    [("DAY", 150, 7, None), ("DAY", 150, 7, -3), ("MONTH", 40, 12, None), ("DAY", 12, 7, None), ("WEEK", 30, 1, None)],
)
def test_backtest_figures_match_the_contract_formulas(granularity: str, n: int, m: int, zero_at: int | None) -> None:
    y = list(np.maximum(seasonal_series(n, m if m > 1 else 52, seed=n), 0))
    if zero_at is not None:
        y[zero_at] = 0.0  # a held-out zero: MAPE must be null
    fit = fit_forecast(y, granularity, (0.0, INF), 3)
    bt = fit.backtest
    assert bt is not None
    h = bt.holdout_points
    assert h >= min(m, n - m - 1) and list(bt.actuals) == y[-h:]
    expected = _expected_scores(y[:-h], y[-h:], list(bt.forecasts), m)
    assert bt.baseline_model == expected["baseline_model"]
    assert bt.smape == pytest.approx(expected["smape"], rel=1e-12)
    assert bt.mase == pytest.approx(expected["mase"], rel=1e-12)
    assert bt.baseline_smape == pytest.approx(expected["baseline_smape"], rel=1e-12)
    if expected["mape"] is None:
        assert bt.mape is None
    else:
        assert bt.mape == pytest.approx(expected["mape"], rel=1e-12)
