"""Tenant.anomalies: periods that leave the band a robust model of their own past predicts.

Per period t (docs/intelligence.md has the reasoning):
  base(t)     = median of the same phase in the last K cycles, y(t-m) .. y(t-Km)
  drift(t)    = median of y(s) - base(s) over the D periods before t (level moved since then)
  expected(t) = base(t) + drift(t)
  scale(t)    = 1.4826 * MAD of the errors y(s) - expected(s) over the W periods before t
  score(t)    = (y(t) - expected(t)) / scale(t), flagged when |score| > 3.5
Everything uses only periods before t, so a point is judged by what was known before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from core.calendar import (
    DayRange,
    first_period_on_or_after,
    next_period,
    period_of,
    shift,
    utc_today,
)
from core.metrics import spec
from core.vocabulary import Granularity, Metric
from loaders.dataloaders import Loaders
from loaders.facts import TenantRow
from resolvers.series import series

THRESHOLD = 3.5  # |robust z| beyond which a point is flagged (Iglewicz & Hoaglin's cut-off)
MAD_TO_SD = 1.4826  # MAD of a normal sample times this estimates its standard deviation
MEAN_AD_TO_SD = 1.2533  # the same for the mean absolute deviation (used when MAD is 0)


@dataclass(frozen=True)
class Config:
    m: int  # seasonal period
    cycles: int  # K: same-phase values the base is the median of
    drift: int  # D
    window: int  # W

    @property
    def lookback(self) -> int:
        return self.cycles * self.m + self.drift + self.window

    @property
    def need(self) -> int:
        """Periods of history before the first point that can be judged."""
        return self.cycles * self.m + self.drift + max(5, self.window // 2)


SEASONAL = {
    Granularity.DAY: Config(7, 4, 7, 56),
    Granularity.WEEK: Config(52, 2, 8, 26),
    Granularity.MONTH: Config(12, 2, 6, 12),
    Granularity.QUARTER: Config(4, 2, 4, 8),
}
PLAIN = {
    Granularity.DAY: Config(1, 7, 7, 28),
    Granularity.WEEK: Config(1, 4, 4, 26),
    Granularity.MONTH: Config(1, 3, 3, 12),
    Granularity.QUARTER: Config(1, 2, 2, 8),
    Granularity.YEAR: Config(1, 2, 2, 6),
}


@dataclass(frozen=True)
class Flag:
    start: date
    value: float
    expected: float
    lower: float
    upper: float
    score: float


def detect(
    values: list[float | None], judge: list[int], config: Config, bounds: tuple[float, float], unit: float
) -> list[tuple[int, float, float, float, float, float]]:
    """(index, value, expected, lower, upper, score) of the flagged points among `judge`."""
    y = np.array([np.nan if v is None else v for v in values], dtype=float)
    n, m, k = len(y), config.m, config.cycles
    base = np.full(n, np.nan)
    for t in range(k * m, n):
        same_phase = y[t - np.arange(1, k + 1) * m]
        if not np.isnan(same_phase).all():
            base[t] = np.nanmedian(same_phase)
    residual = y - base
    expected = np.full(n, np.nan)
    for t in range(n):
        recent = residual[max(0, t - config.drift):t]
        if not np.isnan(base[t]) and (~np.isnan(recent)).any():
            expected[t] = base[t] + np.nanmedian(recent)
    expected = np.clip(expected, *bounds)
    error = y - expected
    flags = []
    for t in judge:
        past = error[max(0, t - config.window):t]
        past = past[~np.isnan(past)]
        if np.isnan(y[t]) or np.isnan(expected[t]) or len(past) < max(5, config.window // 2):
            continue  # not enough history before t to say what is normal
        scale = max(_robust_scale(past), unit, 1e-6 * abs(expected[t]))
        score = (y[t] - expected[t]) / scale
        if abs(score) > THRESHOLD:
            lower = max(bounds[0], expected[t] - THRESHOLD * scale)
            upper = min(bounds[1], expected[t] + THRESHOLD * scale)
            flags.append((t, float(y[t]), float(expected[t]), float(lower), float(upper), float(score)))
    return flags


def _robust_scale(errors: np.ndarray) -> float:
    centre = np.median(errors)
    mad = MAD_TO_SD * float(np.median(np.abs(errors - centre)))
    # more than half the errors equal (sparse counts): the mean deviation still sees the rest
    return mad if mad > 0 else MEAN_AD_TO_SD * float(np.mean(np.abs(errors - centre)))


async def anomalies(
    loaders: Loaders, tenant: TenantRow, metric: Metric, days: DayRange, granularity: Granularity, currency: str
) -> list[Flag]:
    span = await loaders.data_ranges.load(tenant.id)
    if span is None:
        return []
    # only whole periods inside the range and on or before the data's (and yesterday's) end are
    # judged: a clipped or still-filling period would look like a drop
    last = min(days.end, span[1], utc_today() - timedelta(days=1))
    first_whole = first_period_on_or_after(span[0], granularity)
    config = PLAIN[granularity]
    seasonal = SEASONAL.get(granularity)
    range_first = first_period_on_or_after(days.start, granularity)
    if seasonal is not None and _periods_between(first_whole, range_first, granularity, seasonal.need) >= seasonal.need:
        config = seasonal
    start = max(first_whole, _shift_back(period_of(days.start, granularity), granularity, config.lookback))
    if start > days.end:
        return []
    points = await series(loaders, tenant, metric, DayRange(start, days.end), granularity, currency)
    judge = [
        i for i, p in enumerate(points)
        if p.start >= days.start and p.start == period_of(p.start, granularity)
        and next_period(p.start, granularity) - timedelta(days=1) <= last
    ]
    found = detect([p.value for p in points], judge, config, spec(metric).bounds, spec(metric).spread_floor)
    return [Flag(points[i].start, value, exp, lo, hi, score) for i, value, exp, lo, hi, score in found]


def _periods_between(first: date, end: date, granularity: Granularity, enough: int) -> int:
    """Periods from `first` up to `end`, counting no further than `enough`."""
    count, day = 0, first
    while day < end and count < enough:
        count, day = count + 1, next_period(day, granularity)
    return count


def _shift_back(start: date, granularity: Granularity, periods: int) -> date:
    """`start` (a period's first day) moved `periods` periods back; date.min if before year 1."""
    try:
        return shift(start, granularity, -periods)
    except (OverflowError, ValueError):
        return date.min
