"""The per-request context every resolver sees, typed: resolvers take `Info[Context, None]`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from auth.limits import Budget, RateLimits, write_limited
from auth.principal import Principal
from auth.tiers import TierPolicy, TierTable, default_tiers
from ingest.service import Ingestor
from live.service import Live
from loaders.dataloaders import Loaders
from loaders.service import DataService
from resolvers.forecaster import Forecaster


@dataclass(frozen=True)
class Options:
    """The settings resolvers need (the gateway builds them from its Settings)."""

    max_range_days: int = 3700
    benchmark_min_peers: int = 5
    # alerts: webhook targets createAlertRule accepts, periods judged per evaluation
    webhook_allow_http: bool = False
    webhook_allow_private: bool = False
    alert_recent_periods: int = 2


@dataclass
class Context:
    data: DataService
    principal: Principal | None
    tiers: TierTable = field(default_factory=default_tiers)
    options: Options = field(default_factory=Options)
    limits: RateLimits | None = None
    request: web.Request | None = None
    response: web.StreamResponse | None = None
    # the app's forecast workers and fit cache (None where a context is built without an app)
    forecaster: Forecaster | None = None
    # set by auth.guard.RequestGuard before execution
    cost: int = 0
    budget: Budget | None = None
    # the app's write path (mutations), and the write budget once a mutation charged it
    ingest: Ingestor | None = None
    write_budget: Budget | None = None
    # WebSocket connections: the broker, the connection_init payload, the close at expiry
    live: Live | None = None
    connection_params: dict[str, object] | None = None
    expiry: asyncio.TimerHandle | None = None

    # built on first use: an answer from the whole-response cache needs none
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = self.data.loaders()
        return self._loaders

    def refresh_loaders(self) -> None:
        """New loaders for the next push of a subscription: DataLoaders cache what they read."""
        self._loaders = self.data.loaders()

    async def charge_writes(self, rows: int) -> None:
        """Charges `rows` to the write budget; RATE_LIMITED (nothing written) when it is spent."""
        if self.limits is None or self.principal is None:
            return
        self.write_budget = await self.limits.charge_rows(self.principal, rows)
        if not self.write_budget.admitted:
            raise write_limited(self.write_budget)
    # the operation type (query, mutation, subscription), set by schema.operation.OperationType
    operation: str = "unknown"

    @property
    def policy(self) -> TierPolicy | None:
        return None if self.principal is None else self.tiers[self.principal.tier]
