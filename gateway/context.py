"""The per-request context every resolver sees."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.principal import Principal
from auth.tiers import TierPolicy, TierTable, default_tiers
from gateway.settings import Settings
from loaders.dataloaders import Loaders


@dataclass
class Context:
    settings: Settings
    loaders: Loaders
    principal: Principal | None
    tiers: TierTable
    request: web.Request | None = None
    response: web.StreamResponse | None = None

    @property
    def policy(self) -> TierPolicy | None:
        return None if self.principal is None else self.tiers[self.principal.tier]


def build_context(
    *,
    engine: AsyncEngine,
    settings: Settings,
    principal: Principal | None,
    tiers: TierTable | None = None,
    request: web.Request | None = None,
    response: web.StreamResponse | None = None,
) -> Context:
    return Context(settings, Loaders(engine), principal, tiers or default_tiers(), request, response)
