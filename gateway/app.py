"""create_app(settings): the one factory used by the CLI and by tests."""

from __future__ import annotations

from aiohttp import web

from auth.authenticator import Authenticator
from auth.permissions import gated_fields
from auth.tiers import load_tiers
from gateway import appkeys
from gateway.cors import allow_cross_origin
from gateway.data import rollup_check_ctx
from gateway.health import health, ready
from gateway.middleware import request_meta
from gateway.ingest_http import add_ingest_routes
from gateway.resources import (
    alerts_ctx, authenticator_ctx, close_writes, data_ctx, forecaster_ctx, ingest_ctx, limits_ctx, live_ctx,
    persisted_ctx,
)
from gateway.settings import Settings
from gateway.telemetry import metrics, telemetry_ctx
from gateway.verifier import build_verifier
from gateway.view import View
from gateway.web import add_pages
from ingest.notify import WriteListeners
from schema.root import build_schema


def create_app(settings: Settings) -> web.Application:
    # a GraphQL body holds a query or one mutation batch (about 300 bytes per item, 600 allowed)
    body_limit = max(256 * 1024, settings.ingest_max_batch * 600)
    app = web.Application(middlewares=[request_meta], client_max_size=body_limit)
    app[appkeys.SETTINGS] = settings
    app[appkeys.AUTHENTICATOR] = Authenticator(build_verifier(settings), token_ttl=settings.jwt_verified_ttl_seconds)
    schema = build_schema(settings.query_limits)
    app[appkeys.TIERS] = load_tiers(settings.tiers_file, gated_fields(schema))
    # cleanup runs in reverse: the authenticator drains before the data service closes
    app[appkeys.WRITE_LISTENERS] = WriteListeners()  # other contexts register theirs
    app.cleanup_ctx.extend([
        data_ctx, telemetry_ctx, rollup_check_ctx, limits_ctx, authenticator_ctx, ingest_ctx, alerts_ctx,
        forecaster_ctx, live_ctx, persisted_ctx,
    ])
    # batches admitted before SIGTERM commit and get their answer before anything closes
    app.on_shutdown.append(close_writes)
    view = View(schema=schema, graphql_ide="graphiql" if settings.graphiql else None)
    app.on_shutdown.append(lambda _app: view.sockets.close_all())
    # per method, not "*": CORS answers the OPTIONS preflight on the same resource
    app.router.add_get("/graphql", view)
    app.router.add_post("/graphql", view)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    add_ingest_routes(app)
    app.router.add_get("/metrics", metrics)
    add_pages(app)
    allow_cross_origin(app, settings.cors_origins)  # last: it covers the routes registered above
    return app
