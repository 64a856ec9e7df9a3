"""When rules are judged: on new data for a tenant, and on a schedule; always in the background.

`EvaluationQueue.on_written` has the shape of an ingest write listener (an awaitable taking an
event with a `tenant_id`, None meaning every tenant, as for fx rates): it only records the
tenant and returns, so a write is never slowed by rule evaluation. Requests that arrive while
an evaluation runs coalesce into one more round. New firings are pushed to alertFired
subscribers through the live broker, tenant by tenant.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from alerts.announce import BrokerOf, announce, no_broker
from alerts.evaluation import evaluate_tenant
from alerts.webhooks import WebhookWorker
from core.tasks import cancelled
from loaders.alerts import tenants_with_rules

log = logging.getLogger(__name__)
EVERY_TENANT = "*"


class EvaluationQueue:
    def __init__(
        self, engine: AsyncEngine, worker: WebhookWorker | None, recent_periods: int, broker: BrokerOf = no_broker
    ) -> None:
        self.engine = engine
        self.broker = broker  # read at each push: the live broker starts after this queue
        self.worker = worker
        self.recent_periods = recent_periods
        self._pending: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    async def on_written(self, event: Any) -> None:
        self.request(event.tenant_id)

    def request(self, tenant_id: str | None) -> None:
        self._pending.add(EVERY_TENANT if tenant_id is None else tenant_id)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain(), name="alert-evaluation")

    async def idle(self) -> None:
        """Wait until every requested evaluation has run (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def close(self, grace_seconds: float = 5.0) -> None:
        """Let an evaluation under way finish its statements (up to the grace), then stop."""
        self._pending.clear()
        if self._task is None or self._task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_seconds)
        except TimeoutError:
            await cancelled(self._task)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, set()
            try:
                fired = 0
                tenants = await tenants_with_rules(self.engine) if EVERY_TENANT in batch else sorted(batch)
                for tenant_id in tenants:
                    firings = await evaluate_tenant(self.engine, tenant_id, self.recent_periods)
                    fired += len(firings)
                    await announce(self.broker(), tenant_id, firings)
            except Exception:  # the store may be briefly away: the next request or round retries
                log.exception("alert evaluation failed")
                continue
            if fired and self.worker is not None:
                self.worker.wake()


async def run_schedule(queue: EvaluationQueue, interval_seconds: float) -> None:
    while True:
        await asyncio.sleep(interval_seconds)
        queue.request(None)
