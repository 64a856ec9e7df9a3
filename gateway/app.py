"""create_app(settings): the one factory used by the CLI and by tests."""

from __future__ import annotations

from aiohttp import web

from auth.tiers import load_tiers
from auth.verifier import build_verifier
from gateway import appkeys
from gateway.health import health, ready
from gateway.middleware import request_meta
from gateway.ingest_http import add_ingest_routes
from gateway.resources import close_writes, engine_ctx, ingest_ctx, limits_ctx, live_ctx, redis_ctx
from gateway.settings import Settings
from gateway.view import View
from ingest.notify import WriteListeners
from loaders.versions import DataVersions
from schema.root import build_schema


def create_app(settings: Settings) -> web.Application:
    # a GraphQL body holds a query or one mutation batch (about 300 bytes per item, 600 allowed)
    body_limit = max(256 * 1024, settings.ingest_max_batch * 600)
    app = web.Application(middlewares=[request_meta], client_max_size=body_limit)
    app[appkeys.SETTINGS] = settings
    app[appkeys.VERIFIER] = build_verifier(settings)
    app[appkeys.TIERS] = load_tiers(settings.tiers_file)
    app[appkeys.WRITE_LISTENERS] = WriteListeners()
    app[appkeys.DATA_VERSIONS] = DataVersions()
    app.cleanup_ctx.extend([engine_ctx, redis_ctx, limits_ctx, ingest_ctx, live_ctx])
    # before the drain below: batches admitted before SIGTERM commit and get their answer
    app.on_shutdown.append(close_writes)
    view = View(schema=build_schema(settings.query_limits), graphql_ide="graphiql" if settings.graphiql else None)
    # last_used writes of API keys finish before the engine is disposed
    app.on_shutdown.append(lambda _app: view.api_keys.recorder.drain())
    app.on_shutdown.append(lambda _app: view.sockets.close_all())
    app.router.add_route("*", "/graphql", view)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    add_ingest_routes(app, view.api_keys)
    return app
