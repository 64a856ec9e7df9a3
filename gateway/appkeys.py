"""Typed keys for everything stored on the aiohttp application."""

from __future__ import annotations

from aiohttp import web

from alerts.triggers import EvaluationQueue
from alerts.webhooks import WebhookWorker
from auth.authenticator import Authenticator
from auth.limits import RateLimits
from auth.tiers import TierTable
from gateway.settings import Settings
from loaders.service import DataService

SETTINGS = web.AppKey("settings", Settings)
DATA = web.AppKey("data", DataService)
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
TIERS = web.AppKey("tiers", TierTable)
LIMITS = web.AppKey("limits", RateLimits)
WEBHOOKS = web.AppKey("webhooks", WebhookWorker)
ALERT_EVALUATIONS = web.AppKey("alert_evaluations", EvaluationQueue)
