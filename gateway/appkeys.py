"""Typed keys for everything stored on the aiohttp application."""

from __future__ import annotations

from aiohttp import web

from alerts.triggers import EvaluationQueue
from alerts.webhooks import WebhookWorker
from auth.authenticator import Authenticator
from auth.limits import RateLimits
from auth.tiers import TierTable
from gateway.credential_watch import CredentialWatch
from gateway.responses import ResponseCache
from gateway.settings import Settings
from live.service import Live
from ingest.notify import WriteListeners
from ingest.service import Ingestor
from loaders.service import DataService
from persisted.protocol import PersistedQueries
from resolvers.forecaster import Forecaster

SETTINGS = web.AppKey("settings", Settings)
DATA = web.AppKey("data", DataService)
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
TIERS = web.AppKey("tiers", TierTable)
LIMITS = web.AppKey("limits", RateLimits)
PERSISTED = web.AppKey("persisted_queries", PersistedQueries)
LIVE = web.AppKey("live", Live)
CREDENTIAL_WATCH = web.AppKey("credential_watch", CredentialWatch)
FORECASTER = web.AppKey("forecaster", Forecaster)
WEBHOOKS = web.AppKey("webhooks", WebhookWorker)
ALERT_EVALUATIONS = web.AppKey("alert_evaluations", EvaluationQueue)
# writes: the shared write path and the listeners told of every committed write (ingest/notify.py)
INGEST = web.AppKey("ingest", Ingestor)
WRITE_LISTENERS = web.AppKey("write_listeners", WriteListeners)
# the whole-response cache; absent when RESPONSE_CACHE (or CACHE) is off
RESPONSES = web.AppKey("responses", ResponseCache)
