"""The per-request context every resolver sees, typed: resolvers take `Info[Context, None]`."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from auth.limits import Budget, RateLimits
from auth.principal import Principal
from auth.tiers import TierPolicy, TierTable, default_tiers
from loaders.dataloaders import Loaders
from loaders.service import DataService


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
    loaders: Loaders
    principal: Principal | None
    tiers: TierTable = field(default_factory=default_tiers)
    options: Options = field(default_factory=Options)
    limits: RateLimits | None = None
    request: web.Request | None = None
    response: web.StreamResponse | None = None
    # set by auth.guard.RequestGuard before execution
    cost: int = 0
    budget: Budget | None = None

    @property
    def policy(self) -> TierPolicy | None:
        return None if self.principal is None else self.tiers[self.principal.tier]
