"""Building a request's context from the app's resources (the view, tests and benchmarks)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.limits import RateLimits
from auth.principal import Principal
from auth.tiers import TierTable, default_tiers
from gateway.settings import Settings
from ingest.service import Ingestor
from live.service import Live
from resolvers.forecaster import Forecaster
from loaders.service import DataService
from schema.context import Context, Options


def options(settings: Settings) -> Options:
    return Options(
        max_range_days=settings.max_range_days,
        benchmark_min_peers=settings.benchmark_min_peers,
        webhook_allow_http=settings.webhook_allow_http,
        webhook_allow_private=settings.webhook_allow_private,
        alert_recent_periods=settings.alert_recent_periods,
    )


def build_context(
    *,
    settings: Settings,
    principal: Principal | None,
    data: DataService | None = None,
    engine: AsyncEngine | None = None,
    tiers: TierTable | None = None,
    limits: RateLimits | None = None,
    request: web.Request | None = None,
    response: web.StreamResponse | None = None,
    live: Live | None = None,
    ingest: Ingestor | None = None,
    forecaster: Forecaster | None = None,
) -> Context:
    """`data` is the app's service; scripts and tests may pass a bare `engine` instead."""
    if data is None:
        assert engine is not None, "pass the app's DataService or an engine"
        data = DataService(engine, rollups=settings.rollups, caching=settings.cache)
    context = Context(
        data, principal, tiers or default_tiers(), options(settings), limits, request, response,
        forecaster=forecaster,
    )
    # direct schema use (tests, scripts) gets a write path of its own
    context.ingest = ingest or Ingestor(data.engine, settings.ingest_policy, versions=data.versions)
    context.live = live
    return context
