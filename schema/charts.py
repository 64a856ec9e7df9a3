"""The six dashboard charts of a tenant's range, loaded at once for the charts a request selects.

Each chart field then answers without an await of its own (a 50-tenant portfolio awaited 300
chart fields, each wrapped by graphql-core, Strawberry and asyncio); a chart that failed keeps
its error, raised by its field alone. Without prefetched charts (built elsewhere) a field loads
its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry import Private
from strawberry.types import Info

from core.calendar import DayRange
from core.vocabulary import Dimension, Granularity, Metric
from loaders.dataloaders import Loaders
from loaders.facts import TenantRow
from resolvers.breakdown import breakdown
from resolvers.funnel import funnel, login_status
from resolvers.measures import currency_of
from resolvers.series import series
from schema import costs
from schema.context import Context
from schema.metrics import BreakdownRow, FunnelStepRow, SeriesPoint
from schema.selection import selections

Load = Callable[[Loaders, TenantRow, DayRange, str], Awaitable[list[Any]]]


async def _visitors_by_channel(loaders: Loaders, tenant: TenantRow, days: DayRange, code: str) -> list[BreakdownRow]:
    rows = await breakdown(loaders, tenant, Metric.UNIQUE_VISITORS, Dimension.CHANNEL, days, code)
    return [BreakdownRow.of(row, None) for row in rows]


async def _login_status(loaders: Loaders, tenant: TenantRow, days: DayRange, code: str) -> list[BreakdownRow]:
    return [BreakdownRow.of(row, None) for row in await login_status(loaders, tenant.id, days)]


async def _booking_funnel(loaders: Loaders, tenant: TenantRow, days: DayRange, code: str) -> list[FunnelStepRow]:
    return [FunnelStepRow.of(step) for step in await funnel(loaders, tenant.id, days)]


def _trend(metric: Metric, granularity: Granularity) -> Load:
    async def load(loaders: Loaders, tenant: TenantRow, days: DayRange, code: str) -> list[SeriesPoint]:
        points = await series(loaders, tenant, metric, days, granularity, code)
        return [SeriesPoint.of(point, currency_of(metric, code)) for point in points]

    return load


# each chart field (GraphQL name) and how it loads
LOADS: dict[str, Load] = {
    "visitorsByChannel": _visitors_by_channel,
    "loginStatus": _login_status,
    "bookingFunnel": _booking_funnel,
    "revenueTrend": _trend(Metric.REVENUE, Granularity.MONTH),
    "npsTrend": _trend(Metric.NPS, Granularity.QUARTER),
    "rebookingTrend": _trend(Metric.REPEAT_BOOKING_RATE, Granularity.QUARTER),
}


@strawberry.type(description="Each chart is null, with an error at its path, when it alone cannot be computed.")
class Charts:
    tenant: Private[TenantRow]
    days: Private[DayRange]
    code: Private[str]
    ready: Private[dict[str, Any]]  # each prefetched chart's rows, or the error loading it raised

    @strawberry.field(
        description="ISO 4217 code of the money in these charts (revenueTrend): the requested `currency`, "
        "else the tenant's. In a portfolio every tenant's charts use the same requested currency."
    )
    def currency(self) -> str:
        return self.code

    @strawberry.field(metadata=costs.BY_CHANNEL, description="Unique visitors per marketing channel: breakdown(UNIQUE_VISITORS, CHANNEL).")
    def visitors_by_channel(self, info: Info[Context, None]) -> list[BreakdownRow] | None:
        return self._chart(info, "visitorsByChannel")

    @strawberry.field(description="Visitors with a logged-in pageview (logged_in) and without (logged_out); they sum to uniqueVisitors.")
    def login_status(self, info: Info[Context, None]) -> list[BreakdownRow] | None:
        return self._chart(info, "loginStatus")

    @strawberry.field(description="Sessions reaching each booking step: the same as `funnel(range)`.")
    def booking_funnel(self, info: Info[Context, None]) -> list[FunnelStepRow] | None:
        return self._chart(info, "bookingFunnel")

    @strawberry.field(metadata=costs.REVENUE_TREND, description="Revenue per month in `currency`: series(REVENUE, MONTH).")
    def revenue_trend(self, info: Info[Context, None]) -> list[SeriesPoint] | None:
        return self._chart(info, "revenueTrend")

    @strawberry.field(metadata=costs.QUARTER_TREND, description="Net promoter score per quarter: series(NPS, QUARTER).")
    def nps_trend(self, info: Info[Context, None]) -> list[SeriesPoint] | None:
        return self._chart(info, "npsTrend")

    @strawberry.field(
        metadata=costs.QUARTER_TREND, description="Repeat booking rate per quarter: series(REPEAT_BOOKING_RATE, QUARTER)."
    )
    def rebooking_trend(self, info: Info[Context, None]) -> list[SeriesPoint] | None:
        return self._chart(info, "rebookingTrend")

    def _chart(self, info: Info[Context, None], name: str) -> Any:
        """The prefetched rows now; else an awaitable of them (graphql-core awaits either)."""
        if name not in self.ready:
            return LOADS[name](info.context.loaders, self.tenant, self.days, self.code)
        found = self.ready[name]
        if isinstance(found, BaseException):
            raise found
        return found


async def load_charts(info: Info[Context, None], tenant: TenantRow, days: DayRange, code: str) -> Charts:
    """Charts with the rows of every chart this selection asks for, loaded at once."""
    raw = info._raw_info
    names = [name for name in selections(raw.field_nodes, raw.fragments) if name in LOADS]
    loaders = info.context.loaders
    found = await asyncio.gather(*(LOADS[name](loaders, tenant, days, code) for name in names), return_exceptions=True)
    return Charts(tenant=tenant, days=days, code=code, ready=dict(zip(names, found, strict=True)))
