"""The types of Tenant.forecast, Tenant.anomalies and Tenant.benchmark (contract names)."""

from __future__ import annotations

from datetime import date

import strawberry

from core.vocabulary import Granularity, Metric
from resolvers.anomalies import Flag
from resolvers.benchmark import Standing
from resolvers.forecast import ForecastAnswer, PointForecast
from resolvers.forecast_backtest import BacktestResult


@strawberry.type
class ForecastPoint:
    start: date
    value: float
    lower80: float
    upper80: float
    lower95: float
    upper95: float

    @classmethod
    def of(cls, point: PointForecast) -> ForecastPoint:
        return cls(
            start=point.start, value=point.value, lower80=point.lower80, upper80=point.upper80,
            lower95=point.lower95, upper95=point.upper95,
        )


@strawberry.type(
    description="Accuracy of the same model fitted without the last `holdoutPoints` periods and scored on them."
)
class Backtest:
    holdout_points: int
    mape: float | None = strawberry.field(description="Null when the held-out actuals contain zeros.")
    smape: float
    mase: float = strawberry.field(
        description="Mean absolute scaled error against the seasonal naive forecast: below 1 beats it."
    )
    baseline_model: str
    baseline_smape: float

    @classmethod
    def of(cls, result: BacktestResult) -> Backtest:
        return cls(
            holdout_points=result.holdout_points, mape=result.mape, smape=result.smape, mase=result.mase,
            baseline_model=result.baseline_model, baseline_smape=result.baseline_smape,
        )


@strawberry.type
class Forecast:
    metric: Metric
    granularity: Granularity
    model: str = strawberry.field(description="Which model produced the points, e.g. ets(A,A,A) or seasonal_naive.")
    history_points: int = strawberry.field(description="How many past periods the model was fitted on.")
    points: list[ForecastPoint]
    backtest: Backtest | None = strawberry.field(
        description="Null when the history is too short to hold out a test window."
    )

    @classmethod
    def of(cls, answer: ForecastAnswer) -> Forecast:
        return cls(
            metric=answer.metric,
            granularity=answer.granularity,
            model=answer.model,
            history_points=answer.history_points,
            points=[ForecastPoint.of(point) for point in answer.points],
            backtest=None if answer.backtest is None else Backtest.of(answer.backtest),
        )


@strawberry.type
class Anomaly:
    start: date
    value: float
    expected: float
    lower: float
    upper: float
    score: float = strawberry.field(description="Robust z-score; sign tells the direction.")

    @classmethod
    def of(cls, flag: Flag) -> Anomaly:
        return cls(
            start=flag.start, value=flag.value, expected=flag.expected, lower=flag.lower, upper=flag.upper,
            score=flag.score,
        )


@strawberry.type
class Benchmark:
    """Aggregates only: nothing here can carry a peer's id."""

    metric: Metric
    value: float | None
    peer_group: str = strawberry.field(description="The segment the peers were drawn from.")
    peer_count: int = strawberry.field(
        description="Peers with data in the range, this tenant excluded. Never below the k-anonymity minimum."
    )
    percentile: float = strawberry.field(description="Share of peers with a lower value, 0..100.")
    p25: float
    median: float
    p75: float

    @classmethod
    def of(cls, standing: Standing) -> Benchmark:
        return cls(
            metric=standing.metric, value=standing.value, peer_group=standing.peer_group,
            peer_count=standing.peer_count, percentile=standing.percentile, p25=standing.p25,
            median=standing.median, p75=standing.p75,
        )
