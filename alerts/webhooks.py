"""Signed webhook deliveries by a background worker that never blocks a request.

Pending deliveries are rows (alert_events.delivery = PENDING with next_attempt_at), so they
survive a restart; the worker polls for due ones, POSTs each and records the outcome: 2xx is
DELIVERED; anything else is retried after base * 2**(attempt - 1) seconds (capped) until
`max_attempts`, then FAILED. A refused target (see alerts.targets) fails at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from alerts.evaluation import utcnow
from alerts.targets import RefusedTarget, check_url, connector_options
from loaders.alerts import EventRecord, RuleRecord, due_deliveries, mark_delivery

log = logging.getLogger(__name__)
USER_AGENT = "analytics-gateway-webhooks/1"


@dataclass(frozen=True)
class DeliveryPolicy:
    allow_private: bool = False  # loopback, private and link-local targets (development, tests)
    allow_http: bool = False
    max_attempts: int = 6
    backoff_seconds: float = 30.0
    max_backoff_seconds: float = 3600.0
    timeout_seconds: float = 10.0
    poll_seconds: float = 5.0
    batch: int = 50

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.backoff_seconds * 2 ** (attempts - 1), self.max_backoff_seconds))


def payload(event: EventRecord) -> bytes:
    """The exact bytes that are signed and sent."""
    body = {
        "ruleId": str(event.rule_id),
        "tenantId": event.tenant_id,
        "metric": event.metric,
        "start": event.start.isoformat(),
        "value": event.value,
        "firedAt": event.fired_at.isoformat(timespec="seconds") + "Z",
    }
    return json.dumps(body, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookWorker:
    def __init__(self, engine: AsyncEngine, policy: DeliveryPolicy) -> None:
        self.engine = engine
        self.policy = policy
        self._wake = asyncio.Event()
        self._failing = False  # log a failing store once per streak, not every poll
        self._stopping = False

    def wake(self) -> None:
        """Deliver now rather than at the next poll (after a firing)."""
        self._wake.set()

    async def run(self) -> None:
        connector = aiohttp.TCPConnector(**connector_options(self.policy.allow_private))
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout_seconds)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            while not self._stopping:
                try:
                    while not self._stopping and await self.deliver_due(session):
                        pass
                    self._failing = False
                except asyncio.CancelledError:
                    raise
                except Exception:  # the store may be briefly away (or not set up yet): next poll
                    if not self._failing:
                        log.exception("webhook deliveries failed; retrying at every poll")
                    self._failing = True
                self._wake.clear()
                if self._stopping:
                    break
                try:
                    await asyncio.wait_for(self._wake.wait(), self.policy.poll_seconds)
                except TimeoutError:
                    pass

    def stop(self) -> None:
        """Finish the round under way (its statements and posts), then return from run()."""
        self._stopping = True
        self._wake.set()

    async def deliver_due(self, session: aiohttp.ClientSession) -> int:
        due = await due_deliveries(self.engine, utcnow(), self.policy.batch)
        await asyncio.gather(*(self._deliver(session, event, rule) for event, rule in due))
        return len(due)

    async def _deliver(self, session: aiohttp.ClientSession, event: EventRecord, rule: RuleRecord) -> None:
        attempts = event.attempts + 1
        try:
            url = check_url(rule.webhook_url or "", allow_http=self.policy.allow_http,
                            allow_private=self.policy.allow_private)
            error = await self._post(session, url, rule.secret, payload(event))
        except RefusedTarget as refused:
            log.warning("webhook of alert rule %s refused: %s", event.rule_id, refused)
            await mark_delivery(self.engine, event.id, "FAILED", attempts, None, f"refused: {refused}")
            return
        if error is None:
            await mark_delivery(self.engine, event.id, "DELIVERED", attempts, None, None)
        elif attempts >= self.policy.max_attempts:
            log.warning("webhook of alert rule %s failed after %s attempts: %s", event.rule_id, attempts, error)
            await mark_delivery(self.engine, event.id, "FAILED", attempts, None, error)
        else:
            retry_at: datetime = utcnow() + self.policy.delay(attempts)
            await mark_delivery(self.engine, event.id, "PENDING", attempts, retry_at, error)

    async def _post(self, session: aiohttp.ClientSession, url: str, secret: str, body: bytes) -> str | None:
        """None when delivered, else what went wrong. A refused address raises RefusedTarget."""
        headers = {"Content-Type": "application/json", "X-Signature": signature(secret, body), "User-Agent": USER_AGENT}
        try:
            async with session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except aiohttp.ClientConnectorError as error:
            cause = error.__cause__ or error.os_error
            if isinstance(cause, RefusedTarget):
                raise cause from error
            return f"connection failed: {error}"
        except (aiohttp.ClientError, TimeoutError) as error:
            return f"{type(error).__name__}: {error}"
