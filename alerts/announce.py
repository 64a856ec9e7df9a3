"""Pushing new alert firings to subscribers (alertFired), through the live broker.

The broker fans an event out to every replica (Redis pub/sub) or this process only; the
firing is already stored, so a push that fails is logged and the event stays in `alerts`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from alerts.evaluation import Firing
from live.broker import Broker
from live.events import AlertFiring, LiveEvent

log = logging.getLogger(__name__)
BrokerOf = Callable[[], Broker | None]


def no_broker() -> Broker | None:
    return None


async def announce(broker: Broker | None, tenant_id: str, firings: Sequence[Firing]) -> None:
    """One live event per evaluation of a tenant, carrying each new firing."""
    if broker is None or not firings:
        return
    alerts = tuple(AlertFiring(str(f.rule_id), f.start, f.value, f.fired_at, f.delivery) for f in firings)
    try:
        await broker.publish(tenant_id, LiveEvent(tenant_id=tenant_id, alerts=alerts))
    except Exception:  # never let a push undo or stop the evaluation
        log.exception("alert firings of tenant %s were not pushed to subscribers", tenant_id)
