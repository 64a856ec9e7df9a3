"""Which model serves a forecast: an incumbent (AICc's ETS or the baseline) unless beaten clearly.

In-sample AICc can only compare ETS models with each other, and on short seasonal histories
it favours a flat line (26 months: 12 estimated seasonal states cost more AICc than they
gain). So every candidate forecasts the history's last stretch from several earlier origins
at the requested horizon. With a handful of origins the lowest mean error is a noisy winner
(on a window the selection had not seen it was worse than the AICc choice on 10 of 47 series),
so the choice is conservative: an incumbent — the ETS model AICc ranks best when it carries
the season over four cycles or more (or there is no season and 20 points or more), else the
baseline (seasonal naive, or naive without a season) — is kept unless a challenger wins on a
majority of the origins *and* its mean scaled error is lower by a margin. The same origins
measure how well the served model's intervals cover, and recalibrate them if not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import product

import numpy as np

from resolvers.forecast_decomposed import indices_predict, mstl_predict, theta_predict
from resolvers.forecast_intervals import held_out, widening
from resolvers.forecast_models import TRENDS, Prediction, Spec, fit_spec, naive_predict, predict, ranked_ets

MIN_ORIGINS = 5  # forecast origins per candidate where history allows (each costs a refit)
SCORED_POINTS = 72  # more origins for short horizons, until about this many points are scored
MAX_ORIGINS = 12
FIT_BUDGET = 60  # candidates x origins: the refits one selection may cost
ETS_KEPT = 1  # ETS specs (best AICc first) that go on to the rolling-origin test
INDICES_BELOW = 4  # seasonal indices are for short histories: below 4 cycles (ETS fits a season then)
ETS_INCUMBENT_CYCLES = 4  # from this many cycles the AICc-best seasonal ETS is the incumbent
ETS_INCUMBENT_POINTS = 20  # ... and without a season from this many points
SEASONAL_CLEARLY = 0.8  # mean |y_t - y_(t-m)| below this share of mean |y_t - y_(t-1)|: seasonal
MARGIN = 0.10  # a challenger's mean scaled error must be this much below the incumbent's


@dataclass(frozen=True)
class Choice:
    spec: Spec
    fitted: object | None  # the full-history fit of an ETS winner (saves a refit)
    widen: tuple[float, float] | None  # factors on the 80 / 95 % half-widths; None: the model's own
    errors: dict[str, float]  # rolling-origin mean scaled error per candidate that was evaluated
    horizon: int  # the horizon the candidates were compared at (0: nothing to compare)
    origins: tuple[int, ...]  # training lengths of the origins
    incumbent: Spec | None = None  # the spec a challenger had to beat clearly (None: no contest)
    baseline: Spec | None = None  # seasonal naive (naive without a season), if it was in the contest
    baseline_widen: tuple[float, float] | None = None

    def to_baseline(self) -> Choice:
        """The same contest, served by its baseline instead of the winner."""
        if self.baseline is None or self.baseline == self.spec:
            return self
        return replace(self, spec=self.baseline, fitted=None, widen=self.baseline_widen)


def fallback(y: np.ndarray, m: int) -> Spec:
    return Spec("seasonal_naive", m) if m > 1 and len(y) >= m + 1 else Spec("naive", m)


def forecast_with(spec: Spec, y: np.ndarray, horizon: int, fitted: object | None = None) -> Prediction:
    """`spec` fitted on `y` (unless `fitted` is given) and predicted; the (seasonal) naive
    forecast should the fit fail or return non-finite values."""
    out: Prediction | None
    if spec.kind == "theta":
        out = theta_predict(y, spec.m, horizon)
    elif spec.kind == "indices":
        out = indices_predict(y, spec.m, horizon)
    elif spec.kind == "mstl":
        out = mstl_predict(y, horizon)
    else:
        out = predict(spec, fitted if fitted is not None or spec.kind != "ets" else fit_spec(spec, y), y, horizon)
    if out is not None and all(np.isfinite(a).all() for a in (out.mean, out.lower95, out.upper95)):
        return out
    spare = fallback(y, spec.m)
    return naive_predict(y, horizon, spare.m if spare.kind == "seasonal_naive" else 1)


def candidates(y: np.ndarray, m: int, granularity: str) -> list[Spec]:
    """The specs worth comparing on `y`, the baseline first. How many depends on
    the history's length; the ETS ones are cut down to the best by AICc later."""
    n = len(y)
    if n == 0 or np.ptp(y) == 0:  # flat (also all-zero): the level is the forecast
        return [Spec("naive", m)] if n else []
    seasonal = clearly_seasonal(y, m)
    specs = [fallback(y, m)] + ([Spec("naive", m)] if m > 1 and n >= m + 1 and not seasonal else [])
    if n >= Spec("theta", m).min_points():
        specs.append(Spec("theta", m))
    if m > 1 and Spec("indices", m).min_points() <= n < INDICES_BELOW * m:
        specs.append(Spec("indices", m))
    seasons: list[str | None] = [] if seasonal else [None]
    seasons += (["add"] + (["mul"] if np.min(y) > 0 else [])) if m > 1 else []
    specs += [Spec("ets", m, t, d, s) for (t, d), s in product(TRENDS, seasons)]
    if granularity == "DAY":
        specs.append(Spec("mstl", m))
    return specs[:1] + [spec for spec in specs[1:] if n >= spec.min_points()]  # the fallback always fits


def clearly_seasonal(y: np.ndarray, m: int) -> bool:
    """Repeating last cycle's value errs clearly less than repeating last period's: then no
    model without a season (a flat or straight line) is a candidate."""
    if m <= 1 or len(y) < m + 2:
        return False
    return float(np.mean(np.abs(y[m:] - y[:-m]))) < SEASONAL_CLEARLY * float(np.mean(np.abs(np.diff(y))))


def plan(n: int, horizon: int, need: int, models: int = 1) -> tuple[int, list[int]]:
    """Evaluation horizon and origins (training lengths, latest first) for `models` candidates
    that need `need` points: the last `h` periods, then steps of about h/2 back (1 for short
    horizons), as many as history, SCORED_POINTS and FIT_BUDGET allow."""
    h = min(horizon, n - need)
    if h < 1:
        return 0, []
    count = min(MAX_ORIGINS, max(MIN_ORIGINS, -(-SCORED_POINTS // h)), max(2, FIT_BUDGET // max(models, 1)))
    step = max(1, min(max(1, h // 2), (n - h - need) // max(count - 1, 1)))
    return h, [t for t in (n - h - j * step for j in range(count)) if t >= need]


def select(
    y: np.ndarray, seen: np.ndarray, m: int, granularity: str, horizon: int, bounds: tuple[float, float]
) -> Choice:
    specs = candidates(y, m, granularity)
    if not specs:
        raise ValueError("no history to fit")
    models = sum(spec.kind != "ets" for spec in specs) + (ETS_KEPT if any(s.kind == "ets" for s in specs) else 0)
    shortest = min(spec.min_points() for spec in specs)
    h0, _ = plan(len(y), horizon, shortest, models)
    h, origins = 0, []
    for need in sorted({spec.min_points() for spec in specs}, reverse=True):
        h, origins = plan(len(y), horizon, need, models)
        if len(origins) >= 2 and h >= h0 or need == shortest:  # richest set with 2+ origins, full horizon
            break
    specs = [spec for spec in specs if origins and spec.min_points() <= origins[-1]]
    # the ETS family is fitted to the whole history once; only the best by AICc goes on
    kept = ranked_ets([spec for spec in specs if spec.kind == "ets"], y)[:ETS_KEPT]
    fits = dict(kept)
    specs = [spec for spec in specs if spec.kind != "ets" or spec in fits]
    if len(specs) < 2:  # nothing to compare: the simplest model that fits the history
        spec = specs[0] if specs else fallback(y, m)
        return Choice(spec, fits.get(spec), None, {}, 0, ())
    runs = {spec: [forecast_with(spec, y[:t], h) for t in origins] for spec in specs}
    scales = [_scale(y[:t], m) for t in origins]
    scaled = {spec: _scaled_errors(run, y, seen, h, origins, bounds, scales) for spec, run in runs.items()}
    baseline = specs[0]
    incumbent = next((spec for spec in fits if spec in runs and _trusted(spec, len(y))), baseline)
    best = _winner(incumbent, [spec for spec in specs if spec != incumbent], scaled)
    return Choice(
        best, fits.get(best), widening(runs[best], y, seen, h, origins),
        {spec.name: float(np.mean(errors)) for spec, errors in scaled.items()}, h, tuple(origins),
        incumbent, baseline, widening(runs[baseline], y, seen, h, origins),
    )


def _trusted(spec: Spec, n: int) -> bool:
    """AICc ranks ETS models well enough to defend the title: a season over enough cycles, or
    no season to carry at all."""
    if spec.m > 1:
        return spec.seasonal is not None and n >= ETS_INCUMBENT_CYCLES * spec.m
    return n >= ETS_INCUMBENT_POINTS


def _winner(incumbent: Spec, challengers: Sequence[Spec], scaled: dict[Spec, np.ndarray]) -> Spec:
    """The challenger with the lowest mean scaled error among those that beat the incumbent on
    a strict majority of the origins and on mean scaled error by MARGIN; else the incumbent."""
    base = scaled[incumbent]
    clear = [
        spec for spec in challengers
        if np.sum(scaled[spec] < base) * 2 > len(base) and np.mean(scaled[spec]) <= (1 - MARGIN) * np.mean(base)
    ]
    return min(clear, key=lambda spec: float(np.mean(scaled[spec])), default=incumbent)


def _scale(training: np.ndarray, m: int) -> float:
    """The origin's MASE unit: mean |y_t - y_(t-m)| (m = 1 without a season) of its training part;
    origins then weigh alike however the series' level moved."""
    lag = m if m > 1 and len(training) > m else 1
    diffs = np.abs(training[lag:] - training[:-lag])
    return float(np.mean(diffs)) if len(diffs) and np.mean(diffs) > 0 else 1.0


def _scaled_errors(
    run: list[Prediction], y: np.ndarray, seen: np.ndarray, h: int, origins: Sequence[int],
    bounds: tuple[float, float], scales: Sequence[float],
) -> np.ndarray:
    """Per origin: mean |error| of the bounded point forecasts over its observed held-out
    periods, in units of that origin's scale (inf for an origin with nothing observed)."""
    out = []
    for i, ks in held_out(y, seen, h, origins):
        errors = [abs(y[origins[i] + k] - np.clip(run[i].mean[k], *bounds)) for k in ks]
        out.append(float(np.mean(errors)) / scales[i] if errors else np.inf)
    return np.array(out)
