"""Creating and deleting alert rules: validation, the webhook secret, tenant scoping."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncEngine

from alerts.evaluation import utcnow
from alerts.targets import RefusedTarget, check_url
from core.errors import BadUserInput
from loaders.alerts import RuleRecord, delete_rule, insert_rule
from core.vocabulary import Granularity
from core.vocabulary import Metric

MAX_RULES_PER_TENANT = 100


class AlertCondition(str, Enum):
    ABOVE = "ABOVE"
    BELOW = "BELOW"
    ANOMALY = "ANOMALY"


@dataclass(frozen=True)
class NewRule:
    metric: Metric
    granularity: Granularity
    condition: AlertCondition
    threshold: float | None
    webhook_url: str | None


def validated(rule: NewRule, *, allow_http: bool, allow_private: bool) -> NewRule:
    threshold = rule.threshold
    if rule.condition is AlertCondition.ANOMALY:
        threshold = None  # ignored for ANOMALY (contract)
    elif threshold is None or not math.isfinite(threshold):
        raise BadUserInput(f"a {rule.condition.value} rule needs a finite threshold", "rule.threshold")
    url = rule.webhook_url.strip() if rule.webhook_url else None
    if url:
        if len(url) > 2000:
            raise BadUserInput("webhookUrl is longer than 2000 characters", "rule.webhookUrl")
        try:
            check_url(url, allow_http=allow_http, allow_private=allow_private)
        except RefusedTarget as error:
            raise BadUserInput(str(error), "rule.webhookUrl") from error
    return NewRule(rule.metric, rule.granularity, rule.condition, threshold, url or None)


async def create(engine: AsyncEngine, tenant_id: str, rule: NewRule, existing: int) -> RuleRecord:
    if existing >= MAX_RULES_PER_TENANT:
        raise BadUserInput(f"a tenant has at most {MAX_RULES_PER_TENANT} alert rules")
    return await insert_rule(
        engine,
        {
            "tenant_id": tenant_id, "metric": rule.metric.value, "granularity": rule.granularity.value,
            "condition": rule.condition.value, "threshold": rule.threshold, "webhook_url": rule.webhook_url,
            "secret": secrets.token_urlsafe(32), "active": True, "created_at": utcnow(),
        },
    )


async def delete(engine: AsyncEngine, tenant_id: str, rule_id: str) -> bool:
    try:
        number = int(rule_id)
    except ValueError:
        return False
    return await delete_rule(engine, tenant_id, number)
