"""Models that take the season out first: Theta, seasonal indices + damped trend, MSTL + ETS.

Pure numerics, run in the worker like resolvers.forecast_models. Each returns a Prediction,
or None when the fit fails (the caller then falls back to a naive forecast).
"""

from __future__ import annotations

import warnings

import numpy as np

from resolvers.forecast_models import Prediction, Spec, fit_spec, predict, quantiles

# the non-seasonal model fitted to the seasonally adjusted series
ADJUSTED_SPEC = Spec("ets", 1, "add", True)
YEAR_OF_DAYS = 365
FAILURES = (ValueError, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError, IndexError)


def theta_predict(y: np.ndarray, m: int, horizon: int) -> Prediction | None:
    """statsmodels' ThetaModel (Assimakopoulos & Nikolopoulos): SES with drift on the series,
    deseasonalised by classical decomposition when two whole cycles show a significant season."""
    import pandas as pd
    from statsmodels.tsa.forecasting.theta import ThetaModel

    seasonal = m > 1 and len(y) >= 2 * m
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitted = ThetaModel(pd.Series(y), period=m if seasonal else 1, deseasonalize=seasonal).fit()
            mean = np.asarray(fitted.forecast(horizon), dtype=float)
        except FAILURES:
            return None
    # statsmodels' own intervals estimate the innovation variance with a SARIMAX fit (seconds
    # on a few hundred points); the same IMA(1,1) variance follows from the differences:
    # var(dy) = sigma2 * (1 + theta^2), theta = alpha - 1, and the h-step variance is
    # sigma2 * (1 + (h - 1) * (1 + theta^2)) as in statsmodels' prediction_intervals
    ma = float(fitted.params.iloc[1]) - 1
    diffs = np.diff(np.asarray(fitted.model._y, dtype=float))
    if len(diffs) < 2:
        return None
    sigma2 = float(np.var(diffs, ddof=1)) / (1 + ma**2)
    sd = np.sqrt(sigma2 * (1 + np.arange(horizon) * (1 + ma**2)))
    z80, z95 = quantiles(len(diffs) - 1)
    return Prediction(mean, mean - z80 * sd, mean + z80 * sd, mean - z95 * sd, mean + z95 * sd)


def indices_predict(y: np.ndarray, m: int, horizon: int) -> Prediction | None:
    """Additive seasonal indices (each phase's mean deviation from a straight-line trend) plus a
    damped-trend ETS on the adjusted series: a seasonal model from as little as one cycle and a
    bit, where a seasonal ETS (2m + 2 points) cannot be fitted yet."""
    n = len(y)
    t = np.arange(n)
    slope, intercept = np.polyfit(t, y, 1)
    detrended = y - (intercept + slope * t)
    index = np.array([detrended[p::m].mean() for p in range(m)])
    index -= index.mean()
    adjusted = y - index[t % m]
    fitted = fit_spec(ADJUSTED_SPEC, adjusted)
    if fitted is None:
        return None
    return _reseasoned(predict(ADJUSTED_SPEC, fitted, adjusted, horizon), index[np.arange(n, n + horizon) % m])


def mstl_predict(y: np.ndarray, horizon: int) -> Prediction | None:
    """MSTL (weekly and yearly cycles of a daily series) + damped-trend ETS on the adjusted
    series; each seasonal component continues as its own last cycle."""
    import pandas as pd
    from statsmodels.tsa.seasonal import MSTL

    periods = (7, YEAR_OF_DAYS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            seasonal = np.asarray(MSTL(pd.Series(y), periods=periods).fit().seasonal, dtype=float)
        except FAILURES:
            return None
    if seasonal.ndim != 2 or seasonal.shape[1] != len(periods):
        return None  # MSTL dropped a cycle the history is too short for
    n, k = len(y), np.arange(horizon)
    future = sum(seasonal[n - p + k % p, i] for i, p in enumerate(periods))
    adjusted = y - seasonal.sum(axis=1)
    fitted = fit_spec(ADJUSTED_SPEC, adjusted)
    if fitted is None:
        return None
    return _reseasoned(predict(ADJUSTED_SPEC, fitted, adjusted, horizon), np.asarray(future, dtype=float))


def _reseasoned(p: Prediction, season: np.ndarray) -> Prediction:
    return Prediction(p.mean + season, p.lower80 + season, p.upper80 + season, p.lower95 + season, p.upper95 + season)
