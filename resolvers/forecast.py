"""Tenant.forecast: the metric's own series, fitted off the event loop, cached per data version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.calendar import utc_today
from core.errors import ServiceUnavailable
from core.metrics import Source, spec
from core.vocabulary import Granularity, Metric
from loaders.dataloaders import Loaders
from loaders.facts import TenantRow
from resolvers.forecast_backtest import BacktestResult
from resolvers.forecast_fit import FitResult, fit_forecast
from resolvers.forecast_history import check_horizon, future_starts, history_window
from resolvers.forecaster import Forecaster, cache_key
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
    loaders: Loaders, forecaster: Forecaster | None, tenant: TenantRow, metric: Metric, horizon: int,
    granularity: Granularity, currency: str,
) -> ForecastAnswer:
    check_horizon(horizon, granularity)
    if forecaster is None:  # a context built without the app's resources
        raise ServiceUnavailable("forecasts are not available here")
    window = history_window(await loaders.data_ranges.load(tenant.id), granularity, utc_today())
    if window.days is None:  # no whole period of data yet: nothing to learn from
        return ForecastAnswer(metric, granularity, "none", 0, [], None)
    days = window.days
    fingerprint = await loaders.fingerprints.load((tenant.id, sources_of(metric)))
    # only money depends on the currency: other metrics share one fit whatever was asked; the
    # horizon is part of the key because the models are compared at the requested horizon
    money = currency if spec(metric).money else "-"
    key = cache_key(tenant.id, metric.value, granularity.value, money, horizon, days.end, fingerprint)
    workers: Forecaster = forecaster  # (narrowed for the closure)

    async def compute() -> FitResult:
        history = await series(loaders, tenant, metric, days, granularity, currency)
        values = [point.value for point in history]
        return await workers.run(fit_forecast, values, granularity.value, spec(metric).bounds, horizon)

    fit = await workers.cached(key, compute)
    starts = future_starts(window.next_start, granularity, horizon)
    points = [
        PointForecast(start, fit.mean[i], fit.lower80[i], fit.upper80[i], fit.lower95[i], fit.upper95[i])
        for i, start in enumerate(starts)
        if i < len(fit.mean)
    ]
    return ForecastAnswer(metric, granularity, fit.model, fit.history_points, points, fit.backtest)

