"""Model selection by rolling-origin error, seasonal short histories, calibrated intervals."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from resolvers.forecast_backtest import score
from resolvers.forecast_fit import backtest, clean, fit_forecast, loses_to_baseline
from resolvers.forecast_models import Prediction, Spec
from resolvers.forecast_intervals import NARROWEST, widen, widening
from resolvers.forecast_selection import FIT_BUDGET, MAX_ORIGINS, _winner, clearly_seasonal, plan, select

INF = math.inf
# a ski-and-summer resort's room nights by month (January first): two peaks, two troughs
RESORT = np.array([0.55, 0.5, 0.7, 0.9, 0.6, 0.85, 1.6, 1.9, 1.0, 0.45, 0.35, 1.25])


def resort(months: int, seed: int) -> list[float]:
    """Strongly seasonal with constant noise. With 26 months the backtest trains on 14, so
    MASE is scaled by just two seasonal differences: constant noise keeps that scale fair."""
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    return list(np.round(1200 * RESORT[t % 12] + rng.normal(0, 40, months)))


def seasonal_random_walk(n: int, m: int, seed: int) -> list[float]:
    """y_t = y_(t-m) + e_t: each phase wanders on its own, so last cycle's value is the best guess."""
    rng = np.random.default_rng(seed)
    y = list(rng.uniform(30, 120, m))
    for t in range(m, n):
        y.append(y[t - m] + rng.normal(0, 6))
    return y


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_the_resort_case_gets_a_season_not_a_flat_line(seed: int) -> None:
    y = resort(26, seed)
    fit = fit_forecast(y, "MONTH", (0.0, INF), 12)
    assert fit.model == "seasonal_naive" or fit.model.endswith("seasonal_indices"), fit.model
    # the forecast year swings like the history's (a flat line has no range at all)
    assert np.ptp(fit.mean) > 0.8 * np.ptp(y[-12:])
    bt = fit.backtest
    # 14 training months are fewer than 2m: the contract's baseline is then plain naive
    assert bt is not None and bt.baseline_model == "naive" and bt.holdout_points == 12
    assert bt.mase <= 1.0, bt.mase  # the resort: ets(A,N,N) scored 19 here


def test_the_former_aicc_choice_is_kept_as_the_baseline() -> None:
    """bench/forecast_quality.py compares against it: it must still choose by AICc alone."""
    fit = fit_forecast(resort(26, 0), "MONTH", (0.0, INF), 12, selection="aicc")
    assert fit.model.startswith("ets(")


def test_from_four_cycles_the_aicc_ets_defends_the_title_but_never_beneath_the_baseline() -> None:
    """Ten years of quarters: the seasonal ETS that AICc ranks best is the incumbent a challenger
    must beat clearly; whatever is served scores MASE <= 1 or no worse than the baseline."""
    y, seen = clean(seasonal_random_walk(40, 4, seed=3))
    choice = select(y, seen, 4, "QUARTER", 4, (0.0, INF))
    assert choice.incumbent is not None and choice.incumbent.kind == "ets" and choice.incumbent.seasonal
    assert len(choice.origins) >= 5 and choice.horizon == 4
    assert len(choice.errors) >= 3  # a contest, not a walkover
    fit = fit_forecast(list(y), "QUARTER", (0.0, INF), 4)
    bt = fit.backtest
    assert bt is not None and bt.baseline_model == "seasonal_naive" and bt.baseline_mase is not None
    assert bt.mase <= max(1.0, bt.baseline_mase) + 1e-12


def test_a_trend_without_season_is_not_forced_into_one() -> None:
    rng = np.random.default_rng(11)
    y = 100 + 2.0 * np.arange(60) + rng.normal(0, 3, 60)
    assert not clearly_seasonal(y, 12)
    fit = fit_forecast(list(y), "MONTH", (0.0, INF), 6)
    assert fit.model != "seasonal_naive" and fit.mean[-1] > y[-1]  # the trend goes on
    assert fit.backtest is not None and fit.backtest.mase < 1


def test_coverage_counts_the_observed_actuals_inside_each_band() -> None:
    training = [10.0, 12.0, 11.0, 13.0, 12.0, 14.0]
    actual = [10.0, 20.0, 14.0, 9.0, 12.0, 99.0]
    observed = [True, True, True, True, True, False]  # the last period had no value: not scored
    forecast = [12.0] * 6
    lower80 = [11.0, 11.0, 11.0, 11.0, 11.0, 11.0]
    upper80 = [13.0, 13.0, 14.0, 13.0, 13.0, 13.0]  # 14 inside (ends count), 12 inside: 2 of 5
    lower95 = [9.0, 9.0, 9.0, 9.0, 9.0, 9.0]  # 10, 14, 9 and 12 inside, 20 not: 4 of 5
    upper95 = [15.0, 15.0, 15.0, 15.0, 15.0, 15.0]
    bt = score(training, actual, forecast, 1, observed, (lower80, upper80, lower95, upper95))
    assert bt is not None
    assert bt.coverage80 == pytest.approx(40.0) and bt.coverage95 == pytest.approx(80.0)


def test_backtest_coverage_matches_its_own_bands() -> None:
    y = resort(40, 5)
    bt = fit_forecast(y, "MONTH", (0.0, INF), 12).backtest
    assert bt is not None and len(bt.bands) == 4
    lo80, hi80, lo95, hi95 = (np.array(b) for b in bt.bands)
    a = np.array(bt.actuals)
    assert bt.coverage80 == pytest.approx(100 * np.mean((lo80 <= a) & (a <= hi80)))
    assert bt.coverage95 == pytest.approx(100 * np.mean((lo95 <= a) & (a <= hi95)))


def _run(errors: np.ndarray, half80: float, half95: float) -> list[Prediction]:
    """Predictions of 0 with fixed half-widths, one origin per error."""
    zero, one = np.zeros(1), np.ones(1)
    return [Prediction(zero, -half80 * one, half80 * one, -half95 * one, half95 * one) for _ in errors]


def test_badly_calibrated_bands_are_replaced_by_empirical_ones() -> None:
    rng = np.random.default_rng(2)
    errors = rng.normal(0, 3, 400)  # the model claims sd 1: its bands cover far too little
    origins = list(range(400))
    y = np.zeros(801)
    y[origins] = errors  # actual at origin t + 0 (horizon 1) = the error
    seen = np.ones(801, dtype=bool)
    factors = widening(_run(errors, 1.2816, 1.96), y, seen, 1, origins)
    assert factors is not None
    assert factors[0] == pytest.approx(np.quantile(np.abs(errors) / 1.2816, 0.8, method="higher"))
    assert factors[0] == pytest.approx(3, rel=0.15) and factors[1] == pytest.approx(3, rel=0.15)
    p = widen(_run(errors, 1.2816, 1.96)[0], factors)
    assert p.upper95[0] == pytest.approx(1.96 * factors[1])
    # bands that already cover about right are left alone; too wide ones are narrowed, at most
    # to NARROWEST of their width (here they are three times too wide)
    assert widening(_run(errors, 3 * 1.2816, 3 * 1.96), y, seen, 1, origins) is None
    assert widening(_run(errors, 9 * 1.2816, 9 * 1.96), y, seen, 1, origins) == (NARROWEST, NARROWEST)
    slightly = widening(_run(errors, 3.6 * 1.2816, 3.6 * 1.96), y, seen, 1, origins)  # 1.2 times too wide
    assert slightly is not None and slightly[0] == pytest.approx(1 / 1.2, rel=0.15)


# ------------------------------------------------------------------ the conservative rule


def test_a_strongly_seasonal_series_keeps_the_baseline_against_every_challenger() -> None:
    """Three years and a bit of a seasonal random walk by month: last year's month is the true
    model. A seasonal ETS, Theta and seasonal indices all enter the contest (real fits at every
    origin); none beats the baseline clearly, so the baseline is served."""
    y, seen = clean(seasonal_random_walk(40, 12, seed=8))
    choice = select(y, seen, 12, "MONTH", 12, (0.0, INF))
    assert choice.baseline is not None and choice.baseline.name == "seasonal_naive"
    assert choice.incumbent == choice.baseline  # below four cycles AICc does not defend the title
    assert len(choice.origins) >= 2
    assert any(name.startswith("ets(A,") and name[-2] in "AM" for name in choice.errors), choice.errors
    assert choice.spec == choice.baseline
    fit = fit_forecast(list(y), "MONTH", (0.0, INF), 12)
    assert fit.model == "seasonal_naive" and fit.mean == pytest.approx(y[-12:])
    assert fit.backtest is not None and fit.backtest.mase == pytest.approx(fit.backtest.baseline_mase)


def test_a_trend_model_beats_the_baseline_clearly_and_is_served() -> None:
    """A steady trend under a season: last year's month lags a year of growth at every origin."""
    rng = np.random.default_rng(4)
    t = np.arange(60)
    y = 100 + 3.0 * t + 20 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, 60)
    choice = select(y, np.ones(60, dtype=bool), 12, "MONTH", 12, (0.0, INF))
    assert choice.spec != choice.baseline, choice.errors
    assert choice.errors[choice.spec.name] < choice.errors["seasonal_naive"]
    fit = fit_forecast(list(y), "MONTH", (0.0, INF), 12)
    assert fit.model == choice.spec.name and fit.model != "seasonal_naive"
    assert fit.mean[-1] > y[-1]  # the growth goes on
    bt = fit.backtest
    assert bt is not None and bt.baseline_model == "seasonal_naive"
    assert bt.mase < 1 and bt.baseline_mase is not None and bt.mase < bt.baseline_mase


def test_a_challenger_within_the_margin_does_not_replace_the_incumbent() -> None:
    base = Spec("seasonal_naive", 12)
    close, clear, lucky = Spec("theta", 12), Spec("ets", 12, "add", True, "add"), Spec("naive", 12)
    scaled = {
        base: np.array([1.0, 1.0, 1.0, 1.0, 1.0]),
        close: np.array([0.95, 0.95, 0.95, 0.95, 0.95]),  # wins every origin, by 5 % only
        lucky: np.array([0.1, 0.2, 1.5, 1.6, 1.7]),  # far lower on two origins, worse on most
    }
    assert _winner(base, [close, lucky], scaled) == base
    scaled[clear] = np.array([0.5, 0.6, 1.1, 0.7, 0.8])  # wins 4 of 5, mean 0.74
    assert _winner(base, [close, lucky, clear], scaled) == clear


def test_a_model_worse_than_the_baseline_on_the_backtest_is_never_served() -> None:
    """The guard after selection, on real fits: a flat line on a clearly seasonal history."""
    y, seen = clean(seasonal_random_walk(60, 12, seed=2))
    contest = select(y, seen, 12, "MONTH", 12, (0.0, INF))
    flat = replace(contest, spec=Spec("ets", 12), fitted=None, widen=None)
    scored = backtest(flat, y, seen, "MONTH", (0.0, INF))
    assert scored is not None and scored.baseline_model == "seasonal_naive"
    assert scored.baseline_mase is not None and scored.mase > max(1.0, scored.baseline_mase)
    assert loses_to_baseline(flat, scored)
    served = flat.to_baseline()
    assert served.spec.name == "seasonal_naive" and served.widen == contest.baseline_widen
    again = backtest(served, y, seen, "MONTH", (0.0, INF))
    assert again is not None and again.mase == pytest.approx(again.baseline_mase)
    assert not loses_to_baseline(served, again)
    # a model at MASE <= 1 stays, even where the baseline was luckier on this one window
    lucky = replace(scored, mase=0.9, baseline_mase=0.5)
    assert not loses_to_baseline(flat, lucky)


def test_origins_grow_with_history_and_stay_within_the_fit_budget() -> None:
    short_h, short = plan(40, 12, 14, models=4)
    long_h, long = plan(240, 12, 26, models=4)
    assert short_h == long_h == 12 and len(short) >= 5 and len(long) >= 5
    assert short[0] == 40 - 12 and short[-1] >= 14  # a short history packs its origins closer
    assert long[0] == 240 - 12 and long[0] - long[-1] >= 30  # a long one spreads them over years
    _, quarterly = plan(200, 4, 10, models=4)
    assert len(quarterly) == MAX_ORIGINS  # short horizons: more origins, until enough points are scored
    _, crowded = plan(200, 4, 10, models=FIT_BUDGET // 3)
    assert len(crowded) * (FIT_BUDGET // 3) <= FIT_BUDGET
