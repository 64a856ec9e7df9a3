"""The per-request context every resolver sees."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.limits import Budget, RateLimits, write_limited
from auth.principal import Principal
from auth.tiers import TierPolicy, TierTable, default_tiers
from gateway.settings import Settings
from live.service import Live
from ingest.service import Ingestor
from loaders.dataloaders import Loaders


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
    # WebSocket connections: the broker, the connection_init payload, the close at expiry
    live: Live | None = None
    connection_params: dict[str, object] | None = None
    expiry: asyncio.TimerHandle | None = None
    ingest: Ingestor | None = None
    # set by the first write of the request (the mutations)
    write_budget: Budget | None = None

    def refresh_loaders(self) -> None:
        """New loaders for the next push of a subscription: DataLoaders cache what they read."""
        self.loaders = Loaders(self.loaders.engine)

    async def charge_writes(self, rows: int) -> None:
        """Charges `rows` to the write budget; RATE_LIMITED (nothing written) when it is spent."""
        if self.limits is None or self.principal is None:
            return
        self.write_budget = await self.limits.charge_rows(self.principal, rows)
        if not self.write_budget.admitted:
            raise write_limited(self.write_budget)

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
    live: Live | None = None,
    ingest: Ingestor | None = None,
) -> Context:
    context = Context(settings, Loaders(engine), principal, tiers or default_tiers(), limits, request, response, live=live)
    # direct schema use (tests, scripts) gets a write path of its own
    context.ingest = ingest or Ingestor(engine, settings.ingest_policy)
    return context
