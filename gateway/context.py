"""The per-request context every resolver sees."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.principal import Principal
from gateway.settings import Settings
from loaders.dataloaders import Loaders


@dataclass
class Context:
    settings: Settings
    loaders: Loaders
    principal: Principal | None
    request: web.Request | None = None
    response: web.StreamResponse | None = None


def build_context(
    *,
    engine: AsyncEngine,
    settings: Settings,
    principal: Principal | None,
    request: web.Request | None = None,
    response: web.StreamResponse | None = None,
) -> Context:
    return Context(settings, Loaders(engine), principal, request, response)
