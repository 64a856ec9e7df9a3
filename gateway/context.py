"""The per-request context every resolver sees."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.limits import Budget, RateLimits
from auth.principal import Principal
from auth.tiers import TierPolicy, TierTable, default_tiers
from gateway.settings import Settings
from loaders.dataloaders import Loaders
from loaders.outage import DatabaseHealth


@dataclass
class Context:
    settings: Settings
    loaders: Loaders
    principal: Principal | None
    tiers: TierTable
    limits: RateLimits | None = None
    request: web.Request | None = None
    response: web.StreamResponse | None = None
    # set by auth.guard.RequestGuard before execution
    cost: int = 0
    budget: Budget | None = None
    health: DatabaseHealth | None = None

    @property
    def policy(self) -> TierPolicy | None:
        return None if self.principal is None else self.tiers[self.principal.tier]


def build_context(
    *,
    engine: AsyncEngine,
    settings: Settings,
    principal: Principal | None,
    tiers: TierTable | None = None,
    limits: RateLimits | None = None,
    request: web.Request | None = None,
    response: web.StreamResponse | None = None,
    health: DatabaseHealth | None = None,
) -> Context:
    return Context(settings, Loaders(engine), principal, tiers or default_tiers(), limits, request, response,
                   health=health)
