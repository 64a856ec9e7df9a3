"""Alert rules and events: the types, the Tenant fields' logic and the two mutations."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from alerts.announce import announce
from alerts.evaluation import evaluate_tenant
from alerts.rules import AlertCondition, NewRule, create, delete, validated
from auth.permissions import IsAdmin, IsAuthenticated, TierGate
from auth.scope import writable_tenant_id
from loaders.alerts import EventRecord, RuleRecord, rules_of
from core.calendar import DayRange
from core.vocabulary import Granularity, Metric
from schema import costs
from schema.context import Context
from schema.enums import described

log = logging.getLogger(__name__)
AlertConditionEnum = described(AlertCondition, "AlertCondition", "When a rule fires for a period.", {
    "ABOVE": "The metric's value in the period is above the threshold.",
    "BELOW": "The metric's value in the period is below the threshold.",
    "ANOMALY": "`anomalies` flags the period (the threshold is ignored).",
})
ADMIN = [IsAuthenticated, TierGate, IsAdmin]
TenantIdArg = Annotated[
    strawberry.ID | None, strawberry.argument(description="The tenant; defaults to the caller's only tenant.")
]


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


@strawberry.type(description="A threshold or anomaly rule on one metric of one tenant.")
class AlertRule:
    id: strawberry.ID = strawberry.field(description="The rule's id, for deleteAlertRule and in webhook payloads.")
    metric: Metric = strawberry.field(description="The metric watched, in the tenant's currency for money.")
    granularity: Granularity = strawberry.field(description="The period the metric is judged over.")
    condition: AlertCondition = strawberry.field(description="ABOVE or BELOW the threshold, or ANOMALY.")
    threshold: float | None = strawberry.field(description="Ignored for ANOMALY.")
    webhook_url: str | None = strawberry.field(description="HTTPS endpoint that receives a signed POST when the rule fires.")
    active: bool = strawberry.field(description="Whether the rule is evaluated.")
    last_fired_at: datetime | None = strawberry.field(description="When the rule last fired; null if never.")
    secret: str | None = strawberry.field(
        description="Only in the answer to createAlertRule: the secret for the webhook's X-Signature; never shown again."
    )

    @classmethod
    def of(cls, rule: RuleRecord, show_secret: bool = False) -> AlertRule:
        return cls(
            id=strawberry.ID(str(rule.id)), metric=Metric(rule.metric), granularity=Granularity(rule.granularity),
            condition=AlertCondition(rule.condition), threshold=rule.threshold, webhook_url=rule.webhook_url,
            active=rule.active, last_fired_at=_utc(rule.last_fired_at), secret=rule.secret if show_secret else None,
        )


@strawberry.type(description="One firing of a rule for one period.")
class AlertEvent:
    rule_id: strawberry.ID = strawberry.field(description="The rule that fired.")
    start: date = strawberry.field(description="The period whose value crossed the rule.")
    value: float = strawberry.field(description="The metric's value in that period.")
    fired_at: datetime = strawberry.field(description="When the gateway noticed it.")
    delivery: str = strawberry.field(
        description="Webhook delivery: PENDING, DELIVERED or FAILED (after retries); NONE for a rule without webhook."
    )

    @classmethod
    def of(cls, event: EventRecord) -> AlertEvent:
        return cls(rule_id=strawberry.ID(str(event.rule_id)), start=event.start, value=event.value,
                   fired_at=event.fired_at.replace(tzinfo=UTC), delivery=event.delivery)


@strawberry.input(description="A new alert rule.")
class AlertRuleInput:
    metric: Metric = strawberry.field(description="The metric to watch.")
    granularity: Granularity = strawberry.field(default=Granularity.DAY, description="The period it is judged over.")
    condition: AlertCondition = strawberry.field(description="ABOVE, BELOW or ANOMALY.")
    threshold: float | None = strawberry.field(default=None, description="Required for ABOVE and BELOW.")
    webhook_url: str | None = strawberry.field(
        default=None, description="HTTPS URL to POST to when the rule fires; private addresses are refused."
    )


async def rules_of_tenant(info: Info[Context, None], tenant_id: str) -> list[AlertRule]:
    return [AlertRule.of(rule) for rule in await info.context.loaders.analytics.alert_rules.load(tenant_id)]


async def events_of_tenant(info: Info[Context, None], tenant_id: str, days: DayRange) -> list[AlertEvent]:
    return [AlertEvent.of(e) for e in await info.context.loaders.analytics.alert_events.load((tenant_id, days))]


@strawberry.type
class AlertMutations:
    @strawberry.mutation(
        permission_classes=ADMIN,
        metadata=costs.ALERT_WRITE,
        description="PROFESSIONAL and up, `admin` scope. Rules are evaluated whenever new data for the tenant lands.",
    )
    async def create_alert_rule(
        self,
        info: Info[Context, None],
        *,
        tenant_id: TenantIdArg = None,
        rule: Annotated[AlertRuleInput, strawberry.argument(description="The rule to create.")],
    ) -> AlertRule:
        options = info.context.options
        engine = info.context.data.engine
        tenant = writable_tenant_id(info.context.principal, tenant_id)
        wanted = validated(
            NewRule(rule.metric, rule.granularity, rule.condition, rule.threshold, rule.webhook_url),
            allow_http=options.webhook_allow_http, allow_private=options.webhook_allow_private,
        )
        record = await create(engine, tenant, wanted, len(await rules_of(engine, [tenant])))
        # judged at once on the recent periods (the webhook worker picks up what fires); the
        # rule is stored either way, so a failure here is the schedule's to retry, not the caller's
        try:
            firings = await evaluate_tenant(engine, tenant, options.alert_recent_periods)
            live = info.context.live
            await announce(live.broker if live is not None else None, tenant, firings)
        except Exception:
            log.exception("first evaluation of alert rule %s failed; the schedule retries it", record.id)
        return AlertRule.of(record, show_secret=True)

    @strawberry.mutation(
        permission_classes=ADMIN,
        metadata=costs.ALERT_WRITE,
        description="PROFESSIONAL and up, `admin` scope. Deletes a rule, its events and pending deliveries; "
        "false when the tenant has no such rule.",
    )
    async def delete_alert_rule(
        self,
        info: Info[Context, None],
        *,
        tenant_id: TenantIdArg = None,
        id: Annotated[strawberry.ID, strawberry.argument(description="The rule's id.")],  # noqa: A002 - contract name
    ) -> bool:
        tenant = writable_tenant_id(info.context.principal, tenant_id)
        return await delete(info.context.data.engine, tenant, str(id))
