"""Typed keys for everything stored on the aiohttp application."""

from __future__ import annotations

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.limits import RateLimits
from auth.tiers import TierTable
from auth.tokens import TokenVerifier
from loaders.outage import DatabaseHealth
from gateway.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
HEALTH = web.AppKey("database_health", DatabaseHealth)
REDIS = web.AppKey("redis", Redis)
VERIFIER = web.AppKey("token_verifier", TokenVerifier)
TIERS = web.AppKey("tiers", TierTable)
LIMITS = web.AppKey("limits", RateLimits)
