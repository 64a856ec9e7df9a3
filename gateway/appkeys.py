"""Typed keys for everything stored on the aiohttp application."""

from __future__ import annotations

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.limits import RateLimits
from auth.tiers import TierTable
from auth.tokens import TokenVerifier
from gateway.settings import Settings
from live.service import Live
from ingest.notify import WriteListeners
from ingest.service import Ingestor
from loaders.versions import DataVersions

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
REDIS = web.AppKey("redis", Redis)
VERIFIER = web.AppKey("token_verifier", TokenVerifier)
TIERS = web.AppKey("tiers", TierTable)
LIMITS = web.AppKey("limits", RateLimits)
LIVE = web.AppKey("live", Live)
# writes: the shared write path, the listeners told of every committed write, data versions
INGEST = web.AppKey("ingest", Ingestor)
WRITE_LISTENERS = web.AppKey("write_listeners", WriteListeners)
DATA_VERSIONS = web.AppKey("data_versions", DataVersions)
