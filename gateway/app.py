"""create_app(settings): the one factory used by the CLI and by tests."""

from __future__ import annotations

from aiohttp import web

from auth.authenticator import Authenticator
from auth.permissions import gated_fields
from auth.tiers import load_tiers
from gateway import appkeys
from gateway.cors import allow_cross_origin
from gateway.health import health, ready
from gateway.middleware import request_meta
from gateway.resources import alerts_ctx, authenticator_ctx, data_ctx, limits_ctx
from gateway.settings import Settings
from gateway.verifier import build_verifier
from gateway.view import View
from gateway.web import add_pages
from schema.root import build_schema


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[request_meta], client_max_size=256 * 1024)
    app[appkeys.SETTINGS] = settings
    app[appkeys.AUTHENTICATOR] = Authenticator(build_verifier(settings))
    schema = build_schema(settings.query_limits)
    app[appkeys.TIERS] = load_tiers(settings.tiers_file, gated_fields(schema))
    # cleanup runs in reverse: the authenticator drains before the data service closes
    app.cleanup_ctx.extend([data_ctx, limits_ctx, authenticator_ctx, alerts_ctx])
    view = View(schema=schema, graphql_ide="graphiql" if settings.graphiql else None)
    # per method, not "*": CORS answers the OPTIONS preflight on the same resource
    app.router.add_get("/graphql", view)
    app.router.add_post("/graphql", view)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    add_pages(app)
    allow_cross_origin(app, settings.cors_origins)  # last: it covers the routes registered above
    return app
