"""Tenant, its charts and the DateRange input."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry import Private
from strawberry.types import Info

from auth.permissions import TierGate
from core.calendar import DayRange
from core.vocabulary import AttributionModel, Dimension, Granularity, Metric
from loaders.facts import TenantRow
from resolvers.anomalies import anomalies
from resolvers.benchmark import benchmark
from resolvers.breakdown import breakdown
from resolvers.forecast import forecast
from resolvers.funnel import funnel
from resolvers.inputs import day_range, target_currency
from resolvers.measures import currency_of
from resolvers.segments import attribution, funnel_by, retention
from resolvers.series import series
from schema import costs
from schema.alerts import AlertEvent, AlertRule, events_of_tenant, rules_of_tenant
from schema.analytics import AttributionRow, FunnelSegment, RetentionCohort
from schema.charts import Charts, load_charts
from schema.context import Context
from schema.intelligence import Anomaly, Benchmark, Forecast
from schema.metrics import (
    BreakdownRow,
    FunnelStepRow,
    KeyMetrics,
    SeriesPoint,
    key_metrics,
)


@strawberry.input(description="Both ends inclusive. `from` <= `to`; the tier decides the longest range allowed.")
class DateRange:
    from_: date = strawberry.field(name="from", description="First UTC day of the range.")
    to: date = strawberry.field(description="Last UTC day of the range (included).")


GATED = [TierGate]
RangeArg = Annotated[DateRange, strawberry.argument(name="range", description="The UTC days to compute over, both included.")]
CurrencyArg = Annotated[
    str | None,
    strawberry.argument(description="ISO 4217 code money is reported in (see `currencies`); default: the tenant's currency."),
]
MetricArg = Annotated[Metric, strawberry.argument(description="Which metric (definitions: `metricDefinitions`).")]
GranularityArg = Annotated[
    Granularity, strawberry.argument(description="Length of one period: DAY, WEEK (ISO, Monday first), MONTH, QUARTER or YEAR.")
]


@strawberry.type(description="The days a tenant has data for.")
class DataRangeInfo:
    from_: date = strawberry.field(name="from", description="First UTC day with a pageview, booking or survey answer.")
    to: date = strawberry.field(description="Last UTC day with a pageview, booking or survey answer.")


DimensionArg = Annotated[
    Dimension, strawberry.argument(description="What to split by; `metricDefinitions` lists each metric's dimensions.")
]
HorizonArg = Annotated[int, strawberry.argument(description="How many future periods to forecast.")]
AnomalyRangeArg = Annotated[
    DateRange, strawberry.argument(name="range", description="The days whose periods are checked; history before it is the baseline.")
]
BenchmarkRangeArg = Annotated[
    DateRange, strawberry.argument(name="range", description="Whole calendar months (from a 1st to a month's last day) before the current month.")
]


def _days(info: Info[Context, None], value: DateRange) -> DayRange:
    limit = info.context.options.max_range_days
    policy = info.context.policy
    if policy is not None and policy.max_range_days < limit:
        return day_range(value.from_, value.to, policy.max_range_days, tier=info.context.principal.tier.value)
    return day_range(value.from_, value.to, limit)


@strawberry.type(
    description="One client of the gateway (a hotel, resort or venue) and everything measured on its site. "
    "Data fields are nullable so that one failing field (a tier gate, a breakdown the dimension does not "
    "support, too few peers) leaves its siblings' data in place; the error names its path."
)
class Tenant:
    row: Private[TenantRow]

    @strawberry.field(description="Stable identifier, as credentials and `tenant(id:)` name it.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(description="Display name.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="Peer group used by `benchmark`, e.g. city_hotel, resort, wedding_venue.")
    def segment(self) -> str:
        return self.row.segment

    @strawberry.field(description="ISO 3166-1 alpha-2 code of the tenant's country.")
    def country(self) -> str:
        return self.row.country

    @strawberry.field(description="Default reporting currency.")
    def currency(self) -> str:
        return self.row.currency

    @strawberry.field(description="First and last day that hold any data; null for a tenant without data.")
    async def data_range(self, info: Info[Context, None]) -> DataRangeInfo | None:
        span = await info.context.loaders.data_ranges.load(self.row.id)
        return None if span is None else DataRangeInfo(from_=span[0], to=span[1])

    @strawberry.field(permission_classes=GATED, metadata=costs.KEY_METRICS, description="The key metrics over a range. `currency` defaults to the tenant's currency.")
    async def metrics(self, info: Info[Context, None], range_: RangeArg, currency: CurrencyArg = None) -> KeyMetrics | None:
        days = _days(info, range_)
        return await key_metrics(info, self.row, days, await self._currency(info, currency))

    @strawberry.field(
        permission_classes=GATED,
        metadata=costs.SERIES,
        description="One metric over time, one point per period of `granularity` (periods clipped to `range`)."
    )
    async def series(
        self,
        info: Info[Context, None],
        metric: MetricArg,
        range_: RangeArg,
        granularity: GranularityArg = Granularity.DAY,
        currency: CurrencyArg = None,
    ) -> list[SeriesPoint] | None:
        days = _days(info, range_)
        code = await self._currency(info, currency)
        points = await series(info.context.loaders, self.row, metric, days, granularity, code)
        return [SeriesPoint.of(point, currency_of(metric, code)) for point in points]

    @strawberry.field(permission_classes=GATED, metadata=costs.BREAKDOWN, description="One metric split by a dimension, largest first.")
    async def breakdown(
        self, info: Info[Context, None], metric: MetricArg, by: DimensionArg, range_: RangeArg, currency: CurrencyArg = None
    ) -> list[BreakdownRow] | None:
        days = _days(info, range_)
        code = await self._currency(info, currency)
        rows = await breakdown(info.context.loaders, self.row, metric, by, days, code)
        return [BreakdownRow.of(row, currency_of(metric, code)) for row in rows]

    @strawberry.field(permission_classes=GATED, metadata=costs.CHARTS, description="The six dashboard charts.")
    async def charts(self, info: Info[Context, None], range_: RangeArg, currency: CurrencyArg = None) -> Charts | None:
        days = _days(info, range_)
        return await load_charts(info, self.row, days, await self._currency(info, currency))

    @strawberry.field(permission_classes=GATED, metadata=costs.FUNNEL, description="Booking funnel: sessions reaching each step.")
    async def funnel(self, info: Info[Context, None], range_: RangeArg) -> list[FunnelStepRow] | None:
        steps = await funnel(info.context.loaders, self.row.id, _days(info, range_))
        return [FunnelStepRow.of(step) for step in steps]

    @strawberry.field(
        permission_classes=GATED,
        metadata=costs.FORECAST,
        description="PROFESSIONAL and up. Future values with prediction intervals and an honest backtest.",
    )
    async def forecast(
        self,
        info: Info[Context, None],
        metric: MetricArg,
        horizon: HorizonArg,
        granularity: GranularityArg = Granularity.DAY,
        currency: CurrencyArg = None,
    ) -> Forecast | None:
        code = await self._currency(info, currency)
        answer = await forecast(
            info.context.loaders, info.context.forecaster, self.row, metric, horizon, granularity, code
        )
        return Forecast.of(answer, currency_of(metric, code))

    @strawberry.field(
        permission_classes=GATED,
        metadata=costs.ANOMALIES,
        description="PROFESSIONAL and up. Points in `range` that fall outside what the history predicts.",
    )
    async def anomalies(
        self, info: Info[Context, None], metric: MetricArg, range_: AnomalyRangeArg, granularity: GranularityArg = Granularity.DAY
    ) -> list[Anomaly] | None:
        days = _days(info, range_)
        code = await self._currency(info, None)  # money in the tenant's own currency
        flags = await anomalies(info.context.loaders, self.row, metric, days, granularity, code)
        return [Anomaly.of(flag, currency_of(metric, code)) for flag in flags]

    @strawberry.field(
        permission_classes=GATED,
        metadata=costs.BENCHMARK,
        description="PROFESSIONAL and up. Where this tenant stands among its segment's peers (k-anonymous).",
    )
    async def benchmark(self, info: Info[Context, None], metric: MetricArg, range_: BenchmarkRangeArg) -> Benchmark | None:
        days = _days(info, range_)
        code = await self._currency(info, None)  # every peer's money converted to this tenant's currency
        principal = info.context.principal
        standing = await benchmark(
            info.context.loaders, self.row, metric, days, code, info.context.options.benchmark_min_peers,
            principal.can_read,
        )
        return Benchmark.of(standing, currency_of(metric, code))

    @strawberry.field(
        permission_classes=GATED,
        metadata=costs.FUNNEL_BY,
        description="The funnel per segment: each session belongs to the segment of its first pageview in the range.",
    )
    async def funnel_by(
        self,
        info: Info[Context, None],
        by: Annotated[Dimension, strawberry.argument(description="The pageview dimension that segments sessions.")],
        range_: RangeArg,
    ) -> list[FunnelSegment] | None:
        segments = await funnel_by(info.context.loaders, self.row.id, _days(info, range_), by)
        return [FunnelSegment.of(segment) for segment in segments]

    @strawberry.field(
        permission_classes=GATED,
        metadata=costs.ATTRIBUTION,
        description="Confirmed bookings and revenue of the range credited to the visitor's first or last touch before booking.",
    )
    async def attribution(  # keyword-only: the arguments keep the contract's order
        self,
        info: Info[Context, None],
        *,
        model: Annotated[
            AttributionModel, strawberry.argument(description="Which pageview of the lookback window gets the credit.")
        ] = AttributionModel.LAST_TOUCH,
        by: Annotated[Dimension, strawberry.argument(description="The pageview dimension whose value gets the credit.")],
        range_: RangeArg,
        lookback_days: Annotated[
            int,
            strawberry.argument(description="Days before each booking whose pageviews count as touches (0..730)."),
        ] = 30,
        currency: Annotated[
            str | None, strawberry.argument(description="Revenue currency; defaults to the tenant's.")
        ] = None,
    ) -> list[AttributionRow] | None:
        days = _days(info, range_)
        code = await self._currency(info, currency)
        credits = await attribution(info.context.loaders, self.row, model, by, days, lookback_days, code)
        return [AttributionRow.of(credit, code) for credit in credits]

    @strawberry.field(
        permission_classes=GATED,
        metadata=costs.RETENTION,
        description="Customer cohorts by the period of their first confirmed booking, and how many booked again in each later period.",
    )
    async def retention(
        self,
        info: Info[Context, None],
        range_: RangeArg,
        granularity: Annotated[
            Granularity, strawberry.argument(description="The period of cohorts and of the returning shares.")
        ] = Granularity.MONTH,
    ) -> list[RetentionCohort] | None:
        cohorts = await retention(info.context.loaders, self.row.id, _days(info, range_), granularity)
        return [RetentionCohort.of(cohort) for cohort in cohorts]

    @strawberry.field(
        permission_classes=GATED, metadata=costs.ALERT_RULES, description="PROFESSIONAL and up. This tenant's alert rules."
    )
    async def alert_rules(self, info: Info[Context, None]) -> list[AlertRule] | None:
        return await rules_of_tenant(info, self.row.id)

    @strawberry.field(
        permission_classes=GATED, metadata=costs.ALERTS, description="PROFESSIONAL and up. Alerts fired in the range, newest first."
    )
    async def alerts(self, info: Info[Context, None], range_: RangeArg) -> list[AlertEvent] | None:
        return await events_of_tenant(info, self.row.id, _days(info, range_))

    async def _currency(self, info: Info[Context, None], requested: str | None) -> str:
        return await target_currency(info.context.loaders, requested, self.row)
