"""Before execution: cost the operation, enforce the tier's limits, charge the budget."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult
from strawberry.extensions import SchemaExtension

from auth.anonymous import guarded_root_fields
from auth.cost import CostAnalyzer
from auth.limits import Budget, write_budget_json
from auth.permissions import IsAuthenticated
from core.errors import Forbidden, QueryTooComplex, RateLimited, Unauthenticated
from core.vocabulary import TIER_ORDER as ORDER
from telemetry.metrics import RATE_LIMITED

DRY_RUN = "costDryRun"


class RequestGuard(SchemaExtension):
    """Runs after validation, before any resolver (so before any SQL).

    Order of refusals: no credentials for a guarded root field (UNAUTHENTICATED), too many
    tenants (FORBIDDEN), too expensive for the tier (QUERY_TOO_COMPLEX), too many requests or
    points this minute (RATE_LIMITED).
    `extensions: {"costDryRun": true}` answers the cost without executing or charging.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        principal = getattr(context, "principal", None)
        if principal is None and guarded_root_fields(
            execution.schema._schema, execution.graphql_document, execution.operation_name
        ):
            raise Unauthenticated(IsAuthenticated.message)
        if principal is None or context.limits is None:
            yield
            return
        analysis = CostAnalyzer(execution.schema._schema).analyze(
            execution.graphql_document, execution.operation_name, execution.variables, principal
        )
        context.cost = analysis.cost
        policy = context.tiers[principal.tier]
        if len(analysis.tenants) > policy.max_tenants:
            raise self._too_many_tenants(len(analysis.tenants), context)
        if analysis.cost > policy.max_query_cost:
            raise QueryTooComplex(
                f"this query costs {analysis.cost} points; the {principal.tier.value} tier allows "
                f"{policy.max_query_cost} per query",
                cost=analysis.cost,
                maxCost=policy.max_query_cost,
            )
        if (execution.operation_extensions or {}).get(DRY_RUN) is True:
            context.budget = await context.limits.points_left(principal)
            execution.result = _empty_result()
            yield
            return
        requests = await context.limits.count_request(principal)
        if not requests.admitted:
            context.budget = requests
            raise rate_limited(requests, "requests")
        context.budget = await context.limits.charge_points(principal, analysis.cost)
        if not context.budget.admitted:
            raise rate_limited(context.budget, "points")
        yield

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        budget: Budget | None = getattr(context, "budget", None)
        writes: Budget | None = getattr(context, "write_budget", None)
        extra = {"writeBudget": write_budget_json(writes)} if writes is not None else {}
        if budget is None:
            return extra
        return {
            **extra,
            "cost": {
                "requestedQueryCost": context.cost,
                "limit": budget.limit,
                "remaining": budget.remaining,
                "resetAt": budget.reset_at.isoformat(),
                "maxQueryCost": context.tiers[context.principal.tier].max_query_cost,
                "dryRun": (self.execution_context.operation_extensions or {}).get(DRY_RUN) is True,
            }
        }

    @staticmethod
    def _too_many_tenants(count: int, context: Any) -> Forbidden:
        tier = context.principal.tier
        needed = next((t for t in ORDER if context.tiers[t].max_tenants >= count), None)
        allowed = context.tiers[tier].max_tenants
        hint = f"; the {needed.value} tier allows {context.tiers[needed].max_tenants}" if needed else ""
        return Forbidden(
            f"this request reads {count} tenants; the {tier.value} tier allows {allowed} per request{hint}",
            **({"requiredTier": needed.value} if needed else {}),
        )


def rate_limited(budget: Budget, what: str) -> RateLimited:
    RATE_LIMITED.labels(what).inc()
    return RateLimited(
        f"rate limit of {budget.limit} {what} per minute exceeded; retry after {budget.retry_after} s",
        retryAfter=budget.retry_after,
        resetAt=budget.reset_at.isoformat(),
    )


def _empty_result() -> ExecutionResult:
    # a result set before execution makes strawberry skip it
    return ExecutionResult(data=None, errors=None)
