"""The types of Tenant.forecast, Tenant.anomalies and Tenant.benchmark (contract names)."""

from __future__ import annotations

from datetime import date

import strawberry

from core.vocabulary import Granularity, Metric
from resolvers.anomalies import Flag
from resolvers.benchmark import Standing
from resolvers.forecast import ForecastAnswer, PointForecast
from resolvers.forecast_backtest import BacktestResult
from schema.metrics import CURRENCY


@strawberry.type(description="One forecast period with its prediction intervals.")
class ForecastPoint:
    start: date = strawberry.field(description="First day of the forecast period.")
    value: float = strawberry.field(description="The expected value.")
    lower80: float = strawberry.field(description="Lower bound of the 80 % prediction interval.")
    upper80: float = strawberry.field(description="Upper bound of the 80 % prediction interval.")
    lower95: float = strawberry.field(description="Lower bound of the 95 % prediction interval.")
    upper95: float = strawberry.field(description="Upper bound of the 95 % prediction interval.")
    currency: str | None = strawberry.field(description=CURRENCY.replace("`value`", "`value` and the bounds"))

    @classmethod
    def of(cls, point: PointForecast, currency: str | None) -> ForecastPoint:
        return cls(
            start=point.start, value=point.value, lower80=point.lower80, upper80=point.upper80,
            lower95=point.lower95, upper95=point.upper95, currency=currency,
        )


@strawberry.type(
    description="Accuracy of the same model fitted without the last `holdoutPoints` periods and scored on them."
)
class Backtest:
    holdout_points: int = strawberry.field(description="How many of the last periods were held out and forecast.")
    mape: float | None = strawberry.field(description="Null when the held-out actuals contain zeros.")
    smape: float = strawberry.field(description="Symmetric mean absolute percentage error, 0..200.")
    mase: float = strawberry.field(
        description="Mean absolute scaled error against the seasonal naive forecast: below 1 beats it."
    )
    baseline_model: str = strawberry.field(description="The simple forecast compared against, e.g. seasonal_naive.")
    baseline_smape: float = strawberry.field(description="sMAPE of the baseline on the same held-out periods.")
    baseline_mase: float | None = strawberry.field(
        description="MASE of the baseline on the same held-out periods, same scale as `mase`. Where the baseline "
        "is seasonal naive (naive without a season), `mase` is at most max(1, baselineMase): a model above both "
        "is replaced by the baseline. Null when the scale is 0."
    )
    coverage80: float = strawberry.field(
        description="Percent of the held-out actuals inside the model's 80 % prediction interval (nominal: 80)."
    )
    coverage95: float = strawberry.field(
        description="Percent of the held-out actuals inside the model's 95 % prediction interval (nominal: 95)."
    )

    @classmethod
    def of(cls, result: BacktestResult) -> Backtest:
        return cls(
            holdout_points=result.holdout_points, mape=result.mape, smape=result.smape, mase=result.mase,
            baseline_model=result.baseline_model, baseline_smape=result.baseline_smape,
            baseline_mase=result.baseline_mase,
            coverage80=result.coverage80, coverage95=result.coverage95,
        )


@strawberry.type(description="Future values of a metric, how they were made, and how well the model did on the past.")
class Forecast:
    metric: Metric = strawberry.field(description="The forecast metric.")
    granularity: Granularity = strawberry.field(description="Length of each forecast period.")
    model: str = strawberry.field(description="Which model produced the points, e.g. ets(A,A,A) or seasonal_naive.")
    history_points: int = strawberry.field(description="How many past periods the model was fitted on.")
    points: list[ForecastPoint] = strawberry.field(description="One per future period, `horizon` of them.")
    backtest: Backtest | None = strawberry.field(
        description="Null when the history is too short to hold out a test window."
    )
    currency: str | None = strawberry.field(description=CURRENCY.replace("`value`", "every point"))

    @classmethod
    def of(cls, answer: ForecastAnswer, currency: str | None) -> Forecast:
        return cls(
            metric=answer.metric,
            granularity=answer.granularity,
            model=answer.model,
            history_points=answer.history_points,
            points=[ForecastPoint.of(point, currency) for point in answer.points],
            backtest=None if answer.backtest is None else Backtest.of(answer.backtest),
            currency=currency,
        )


@strawberry.type(description="A period whose value falls outside the band the history predicts.")
class Anomaly:
    start: date = strawberry.field(description="First day of the period inside the range.")
    value: float = strawberry.field(description="The metric's actual value in the period.")
    expected: float = strawberry.field(description="What the history predicts for the period.")
    lower: float = strawberry.field(description="Lower edge of the normal band.")
    upper: float = strawberry.field(description="Upper edge of the normal band.")
    score: float = strawberry.field(description="Robust z-score; sign tells the direction.")
    currency: str | None = strawberry.field(
        description="ISO 4217 code of `value`, `expected` and the bounds for money metrics: always the tenant's "
        "currency. Null for counts, ratios and scores."
    )

    @classmethod
    def of(cls, flag: Flag, currency: str | None) -> Anomaly:
        return cls(
            start=flag.start, value=flag.value, expected=flag.expected, lower=flag.lower, upper=flag.upper,
            score=flag.score, currency=currency,
        )


@strawberry.type(description="Where a tenant's metric stands among its segment's peers; aggregates only, never a peer.")
class Benchmark:
    """Aggregates only: nothing here can carry a peer's id."""

    metric: Metric = strawberry.field(description="The compared metric.")
    value: float | None = strawberry.field(description="This tenant's value in the range; null without a denominator.")
    peer_group: str = strawberry.field(description="The segment the peers were drawn from.")
    peer_count: int = strawberry.field(
        description="Peers with data in the range, this tenant excluded. Never below the k-anonymity minimum."
    )
    percentile: float = strawberry.field(description="Share of peers with a lower value, 0..100.")
    p25: float = strawberry.field(description="The peers' 25th percentile.")
    median: float = strawberry.field(description="The peers' median.")
    p75: float = strawberry.field(description="The peers' 75th percentile.")
    currency: str | None = strawberry.field(
        description="ISO 4217 code of `value` and the quartiles for money metrics: the tenant's currency, every "
        "peer converted to it. Null for counts, ratios and scores."
    )

    @classmethod
    def of(cls, standing: Standing, currency: str | None) -> Benchmark:
        return cls(
            metric=standing.metric, value=standing.value, peer_group=standing.peer_group,
            peer_count=standing.peer_count, percentile=standing.percentile, p25=standing.p25,
            median=standing.median, p75=standing.p75, currency=currency,
        )
