"""The forecasting models: ETS state-space fits (ranked by AICc), seasonal naive and naive.

Pure numerics (numpy, statsmodels), no I/O: this runs in a worker process (resolvers.forecaster).
Values here are plain floats already cleaned of nulls; bounds are applied by the caller.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from itertools import product

import numpy as np

Z80 = 1.2815515655446004  # two-sided 80 % normal quantile
Z95 = 1.959963984540054
ETS_MIN_POINTS = 10  # below this an ETS fit has more parameters than evidence
SIMULATIONS = 2000  # paths for ETS models without closed-form intervals (multiplicative season)
# Up to a year of months the initial states are estimated by likelihood (and counted by AICc).
# For 52 weeks that is 51 extra parameters, seconds per fit and a penalty no two-year history
# can pay, so longer cycles start from the classical decomposition of the first two cycles.
ESTIMATED_INIT_MAX_PERIOD = 12
TRENDS = ((None, False), ("add", False), ("add", True))
MSTL_YEAR = 365
NAMES = {"theta": "theta", "indices": "ets(A,Ad,N)+seasonal_indices", "mstl": "mstl(7,365)+ets(A,Ad,N)"}


@dataclass(frozen=True)
class Spec:
    """One model of the candidate set; `m` is the seasonal period the forecast works with."""

    kind: str  # "ets", "seasonal_naive", "naive", "theta", "indices" or "mstl"
    m: int
    trend: str | None = None
    damped: bool = False
    seasonal: str | None = None

    @property
    def name(self) -> str:
        if self.kind in NAMES:
            return NAMES[self.kind]
        if self.kind != "ets":
            return self.kind
        trend = "N" if self.trend is None else ("Ad" if self.damped else "A")
        season = {None: "N", "add": "A", "mul": "M"}[self.seasonal]
        return f"ets(A,{trend},{season})"

    def min_points(self) -> int:
        """The shortest history this model can be fitted on (also for the backtest's refit)."""
        if self.kind == "ets":
            return max(2 * self.m + 2, ETS_MIN_POINTS) if self.seasonal else max(ETS_MIN_POINTS, self.m + 1)
        if self.kind == "theta":  # with m > 1 only the deseasonalised Theta (two cycles) is a candidate
            return max(ETS_MIN_POINTS, 2 * self.m if self.m > 1 else 0)
        if self.kind == "indices":  # one cycle to average each phase over, and the damped fit's minimum
            return max(self.m + 1, ETS_MIN_POINTS)
        if self.kind == "mstl":  # two yearly cycles, else MSTL drops the yearly one
            return 2 * MSTL_YEAR + 1
        return self.m + 1  # one seasonal difference to measure the spread


@dataclass(frozen=True)
class Prediction:
    mean: np.ndarray
    lower80: np.ndarray
    upper80: np.ndarray
    lower95: np.ndarray
    upper95: np.ndarray


def candidates(y: np.ndarray, m: int) -> list[Spec]:
    """The specs worth fitting on `y`: ETS when the history supports it, else the naive fallbacks."""
    n = len(y)
    if n == 0:
        return []
    if np.ptp(y) == 0:  # flat (also all-zero): nothing to estimate, the level is the forecast
        return [Spec("naive", m)]
    seasons: list[str | None] = [None]
    if m > 1:
        seasons += ["add"] + (["mul"] if np.min(y) > 0 else [])  # multiplicative needs y > 0
    specs = [Spec("ets", m, t, d, s) for (t, d), s in product(TRENDS, seasons)]
    specs = [spec for spec in specs if n >= spec.min_points()]
    if m > 1 and not any(spec.seasonal for spec in specs):
        # a seasonal pattern we cannot estimate yet is still best copied from the last cycle
        return [Spec("seasonal_naive", m)] if n >= m + 1 else [Spec("naive", m)]
    return specs or [Spec("naive", m)]


def ranked_ets(specs: list[Spec], y: np.ndarray) -> list[tuple[Spec, object]]:
    """The ETS specs that fitted, best (lowest finite AICc) first, each with its fitted model."""
    fits = []
    for spec in specs:
        fitted = _fit_ets(spec, y) if spec.kind == "ets" else None
        if fitted is not None and math.isfinite(float(fitted.aicc)):  # type: ignore[attr-defined]
            fits.append((float(fitted.aicc), spec, fitted))  # type: ignore[attr-defined]
    fits.sort(key=lambda item: item[0])
    return [(spec, fitted) for _, spec, fitted in fits]


def fit_best(y: np.ndarray, m: int) -> tuple[Spec, object]:
    """In-sample choice: the candidate with the lowest AICc (ETS), or the single fallback.

    The gateway selected like this before it selected by rolling-origin accuracy; it stays as
    the baseline bench/forecast_quality.py measures the selection against."""
    specs = candidates(y, m)
    if not specs:
        raise ValueError("no history to fit")
    if specs[0].kind != "ets":
        return specs[0], None
    ranked = ranked_ets(specs, y)
    if not ranked:  # every optimisation failed: fall back rather than fail the request
        fallback = Spec("seasonal_naive", m) if m > 1 and len(y) >= m + 1 else Spec("naive", m)
        return fallback, None
    return ranked[0]


def fit_spec(spec: Spec, y: np.ndarray) -> object | None:
    """Refit one given spec (the backtest); None for the naive models, which have no state."""
    return _fit_ets(spec, y) if spec.kind == "ets" else None


def predict(spec: Spec, fitted: object | None, y: np.ndarray, horizon: int) -> Prediction:
    if spec.kind == "ets" and fitted is not None:
        return _ets_predict(fitted, len(y), horizon)
    if spec.kind == "ets":  # a refit that failed: seasonal naive is the honest stand-in
        spec = Spec("seasonal_naive" if spec.m > 1 and len(y) >= spec.m + 1 else "naive", spec.m)
    return naive_predict(y, horizon, spec.m if spec.kind == "seasonal_naive" else 1)


def naive_predict(y: np.ndarray, horizon: int, m: int) -> Prediction:
    """(Seasonal) naive point forecasts, intervals from the in-sample one-period errors.

    The k-th step's spread grows with the number of whole cycles it reaches ahead
    (sqrt(ceil(k/m))), as for a random walk per season (Hyndman & Athanasopoulos, FPP3 5.5);
    Student-t quantiles account for estimating that spread from few errors.
    """
    k = np.arange(1, horizon + 1)
    mean = y[len(y) - m + (k - 1) % m] if m > 1 else np.full(horizon, y[-1], dtype=float)
    errors = y[m:] - y[:-m] if len(y) > m else np.array([])
    # a single value shows no spread: say so with a band as wide as the value itself
    sigma = math.sqrt(float(np.mean(errors**2))) if len(errors) else abs(float(y[-1]))
    sd = sigma * np.sqrt(np.ceil(k / m))
    z80, z95 = quantiles(max(len(errors), 1))
    return Prediction(mean, mean - z80 * sd, mean + z80 * sd, mean - z95 * sd, mean + z95 * sd)


def quantiles(df: float) -> tuple[float, float]:
    from scipy.stats import t

    return float(t.ppf(0.90, df)), float(t.ppf(0.975, df))


def _fit_ets(spec: Spec, y: np.ndarray) -> object | None:
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    scale = float(np.mean(np.abs(y))) or 1.0  # the optimiser's starting values assume unit scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; a bad fit shows in its AICc
        try:
            model = ETSModel(
                pd.Series(y / scale),
                error="add",
                trend=spec.trend,
                damped_trend=spec.damped,
                seasonal=spec.seasonal,
                seasonal_periods=spec.m if spec.seasonal else None,
                initialization_method="estimated" if spec.m <= ESTIMATED_INIT_MAX_PERIOD else "heuristic",
            )
            fitted = model.fit(disp=False)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError):
            return None
    fitted.gateway_scale = scale  # type: ignore[attr-defined]
    return fitted


def _ets_predict(fitted: object, n: int, horizon: int) -> Prediction:
    scale = fitted.gateway_scale  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # exact intervals for the linear models; simulated (seeded, so repeatable) for the rest
        prediction = fitted.get_prediction(  # type: ignore[attr-defined]
            start=n, end=n + horizon - 1, simulate_repetitions=SIMULATIONS, rng=np.random.default_rng(n)
        )
        f80 = prediction.summary_frame(alpha=0.20)
        f95 = prediction.summary_frame(alpha=0.05)
    mean = np.asarray(f80["mean"], dtype=float)
    # statsmodels' bands use the ML variance (divides by n) and normal quantiles; widen them to
    # the unbiased variance and Student-t quantiles, which short histories need to reach nominal
    n_obs = int(fitted.nobs)  # type: ignore[attr-defined]
    df = max(n_obs - int(fitted.df_model), 1)  # type: ignore[attr-defined]
    z80, z95 = quantiles(df)
    widen80 = math.sqrt(n_obs / df) * z80 / Z80
    widen95 = math.sqrt(n_obs / df) * z95 / Z95

    def band(column: object, widen: float) -> np.ndarray:
        return (mean + (np.asarray(column, dtype=float) - mean) * widen) * scale

    return Prediction(
        mean * scale,
        band(f80["pi_lower"], widen80),
        band(f80["pi_upper"], widen80),
        band(f95["pi_lower"], widen95),
        band(f95["pi_upper"], widen95),
    )
