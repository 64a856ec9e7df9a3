"""Prediction bands: recalibrated on rolling-origin errors when the model's own cover badly,
widened, and bounded. Pure numerics, run in the worker with resolvers.forecast_selection.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from resolvers.forecast_models import Prediction

CALIBRATION_MIN_POINTS = 10  # held-out errors needed before the model's own bands are widened
CALIBRATION_TOLERANCE = 0.05  # own coverage this far from nominal (80 or 95 %) = badly calibrated
NARROWEST = 0.6  # bands that covered too much are narrowed, to this share of their width at most,
NARROW_MIN_POINTS = 48  # and only on this many held-out errors (fewer: left as they are)
LEVELS = (0.80, 0.95)


def held_out(y: np.ndarray, seen: np.ndarray, h: int, origins: Sequence[int]) -> list[tuple[int, np.ndarray]]:
    """Per origin (index): the steps ahead whose period had a value (ratios can lack one)."""
    return [(i, np.flatnonzero(seen[t:t + h])) for i, t in enumerate(origins)]


def widening(
    run: list[Prediction], y: np.ndarray, seen: np.ndarray, h: int, origins: Sequence[int]
) -> tuple[float, float] | None:
    """Empirical factors for the band half-widths when the model's own bands covered the
    origins' held-out actuals badly (more than CALIBRATION_TOLERANCE off nominal): the 80th /
    95th percentile of |error| / own half-width, so the origins' errors would have been covered
    at the nominal rate. Never below NARROWEST, and below 1 only from NARROW_MIN_POINTS errors:
    overlapping origins share errors (a year of months has two origins), and bands that cover
    too little are the costlier mistake."""
    ratios: list[list[float]] = [[], []]
    for i, ks in held_out(y, seen, h, origins):
        p = run[i]
        for k in ks:
            error = y[origins[i] + k] - p.mean[k]
            for level, (lower, upper) in enumerate(((p.lower80, p.upper80), (p.lower95, p.upper95))):
                half = (upper[k] - p.mean[k]) if error >= 0 else (p.mean[k] - lower[k])
                ratios[level].append(abs(error) / half if half > 0 else (0.0 if error == 0 else np.inf))
    if len(ratios[0]) < CALIBRATION_MIN_POINTS:
        return None
    own = [float(np.mean(np.asarray(r) <= 1)) for r in ratios]
    if all(abs(cover - nominal) <= CALIBRATION_TOLERANCE for cover, nominal in zip(own, LEVELS)):
        return None
    floor = NARROWEST if len(ratios[0]) >= NARROW_MIN_POINTS else 1.0
    factors = tuple(
        max(floor, float(np.quantile(np.asarray(r), level, method="higher"))) for r, level in zip(ratios, LEVELS)
    )
    if not all(np.isfinite(f) for f in factors) or factors == (1.0, 1.0):
        return None
    return factors[0], factors[1]


def widen(p: Prediction, factors: tuple[float, float] | None) -> Prediction:
    if factors is None:
        return p
    f80, f95 = factors
    return Prediction(
        p.mean,
        p.mean - (p.mean - p.lower80) * f80,
        p.mean + (p.upper80 - p.mean) * f80,
        p.mean - (p.mean - p.lower95) * f95,
        p.mean + (p.upper95 - p.mean) * f95,
    )


def clip(p: Prediction, lo: float, hi: float) -> Prediction:
    """Counts and money never go below 0, rates stay in [0, 1], NPS in [-100, 100]; the bands
    are nested around the point (simulated quantiles can graze the mean)."""
    mean = np.clip(p.mean, lo, hi)
    lower80 = np.minimum(np.clip(p.lower80, lo, hi), mean)
    upper80 = np.maximum(np.clip(p.upper80, lo, hi), mean)
    lower95 = np.minimum(np.clip(p.lower95, lo, hi), lower80)
    upper95 = np.maximum(np.clip(p.upper95, lo, hi), upper80)
    return Prediction(mean, lower80, upper80, lower95, upper95)
