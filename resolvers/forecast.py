"""Tenant.forecast: the metric's own series, fitted off the event loop, cached per data version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.calendar import utc_today
from core.metrics import Source, spec
from core.vocabulary import Granularity, Metric
from loaders.dataloaders import Loaders
from loaders.facts import TenantRow
from resolvers.forecast_backtest import BacktestResult
from resolvers.forecast_cache import cache_key, cached_fit, run_fit
from resolvers.forecast_fit import FitResult, fit_forecast
from resolvers.forecast_history import (
    HORIZON_LIMIT,
    check_horizon,
    future_starts,
    history_window,
)
from resolvers.series import series


def sources_of(metric: Metric) -> tuple[str, ...]:
    """The tables whose changes can change the metric's history (fx rates for money)."""
    return tuple(source.value for source in Source if spec(metric).reads(source))


@dataclass(frozen=True)
class PointForecast:
    start: date
    value: float
    lower80: float
    upper80: float
    lower95: float
    upper95: float


@dataclass(frozen=True)
class ForecastAnswer:
    metric: Metric
    granularity: Granularity
    model: str
    history_points: int
    points: list[PointForecast]
    backtest: BacktestResult | None


async def forecast(
    loaders: Loaders, tenant: TenantRow, metric: Metric, horizon: int, granularity: Granularity, currency: str
) -> ForecastAnswer:
    check_horizon(horizon, granularity)
    window = history_window(await loaders.data_ranges.load(tenant.id), granularity, utc_today())
    if window.days is None:  # no whole period of data yet: nothing to learn from
        return ForecastAnswer(metric, granularity, "none", 0, [], None)
    days = window.days
    fingerprint = await loaders.fingerprints.load((tenant.id, sources_of(metric)))
    # only money depends on the currency: other metrics share one fit whatever was asked
    key = cache_key(
        tenant.id, metric.value, granularity.value, currency if spec(metric).money else "-", days.end, fingerprint
    )

    async def compute() -> FitResult:
        history = await series(loaders, tenant, metric, days, granularity, currency)
        values = [point.value for point in history]
        # fitted for the longest horizon allowed, so every shorter request reuses the fit
        return await run_fit(fit_forecast, values, granularity.value, spec(metric).bounds, HORIZON_LIMIT[granularity])

    fit = await cached_fit(key, compute)
    starts = future_starts(window.next_start, granularity, horizon)
    points = [
        PointForecast(start, fit.mean[i], fit.lower80[i], fit.upper80[i], fit.lower95[i], fit.upper95[i])
        for i, start in enumerate(starts)
        if i < len(fit.mean)
    ]
    return ForecastAnswer(metric, granularity, fit.model, fit.history_points, points, fit.backtest)
