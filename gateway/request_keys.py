"""Typed keys for what a GraphQL request and its response carry through the view."""

from __future__ import annotations

from aiohttp import web

from gateway.responses import Entry
from schema.context import Context

CONTEXT = web.RequestKey("graphql_context", Context)
MEDIA = web.RequestKey("graphql_media_type", str)
RESPONSE_MEDIA = web.ResponseKey("graphql_media_type", str)
OUTCOME = web.RequestKey("graphql_outcome", str)  # ok or error; absent: refused before execution
RESPONSE_KEY = web.RequestKey("response_cache_key", str)  # looked up and missed: store the answer here
STORED = web.RequestKey("response_cache_entry", Entry)  # what this request's execution stored
