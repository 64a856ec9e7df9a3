"""create_app(settings): the one factory used by the CLI and by tests."""

from __future__ import annotations

from aiohttp import web

from auth.tiers import load_tiers
from auth.verifier import build_verifier
from gateway import appkeys
from gateway.data import data_ctx
from gateway.health import health, ready
from gateway.middleware import request_meta
from gateway.resources import engine_ctx, limits_ctx, redis_ctx
from gateway.settings import Settings
from gateway.telemetry import metrics, telemetry_ctx
from gateway.view import View
from schema.root import build_schema


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[request_meta], client_max_size=256 * 1024)
    app[appkeys.SETTINGS] = settings
    app[appkeys.VERIFIER] = build_verifier(settings)
    app[appkeys.TIERS] = load_tiers(settings.tiers_file)
    app.cleanup_ctx.extend([engine_ctx, telemetry_ctx, redis_ctx, limits_ctx, data_ctx])
    view = View(schema=build_schema(settings.query_limits), graphql_ide="graphiql" if settings.graphiql else None)
    # last_used writes of API keys finish before the engine is disposed
    app.on_shutdown.append(lambda _app: view.api_keys.recorder.drain())
    app.router.add_route("*", "/graphql", view)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics)
    return app
