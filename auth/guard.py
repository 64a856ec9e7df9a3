"""Before execution: cost the operation, enforce the tier's limits, charge the budget."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult
from strawberry.extensions import SchemaExtension

from auth.anonymous import guarded_root_fields
from auth.cost import CostAnalyzer
from auth.limits import Budget, write_budget_json
from auth.metering import cost_block, rate_limited
from auth.permissions import IsAuthenticated
from core.errors import Forbidden, QueryTooComplex, ServiceUnavailable, Unauthenticated
from core.vocabulary import TIER_ORDER as ORDER

DRY_RUN = "costDryRun"


class RequestGuard(SchemaExtension):
    """Runs after validation, before any resolver (so before any SQL).

    The request itself was counted at the edge (every request of a credential, whatever
    becomes of it); here the operation is costed and its points charged. Order of refusals:
    no credentials for a guarded root field (UNAUTHENTICATED), too many tenants (FORBIDDEN),
    too expensive for the tier (QUERY_TOO_COMPLEX), too many points this minute (RATE_LIMITED).
    `extensions: {"costDryRun": true}` answers the cost without executing or charging points.
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
            context.budget = await context.limits.points_left(principal)
            raise self._too_many_tenants(len(analysis.tenants), context)
        if analysis.cost > policy.max_query_cost:
            context.budget = await context.limits.points_left(principal)
            raise QueryTooComplex(
                f"this query costs {analysis.cost} points; the {principal.tier.value} tier allows "
                f"{policy.max_query_cost} per query",
                cost=analysis.cost,
                maxCost=policy.max_query_cost,
            )
        if not await context.data.health.answers():
            # a known outage: refused before any point is charged
            raise ServiceUnavailable("the database cannot be reached right now; retry later")
        if (execution.operation_extensions or {}).get(DRY_RUN) is True:
            context.budget = await context.limits.points_left(principal)
            execution.result = _empty_result()
            yield
            return
        context.budget = await context.limits.charge_points(principal, analysis.cost)
        if not context.budget.admitted:
            raise rate_limited(context.budget, "points")
        yield

    async def get_results(self) -> dict[str, Any]:
        """The cost block on every answer to a credential, refusals included; the write budget
        when a mutation charged it."""
        context = self.execution_context.context
        writes: Budget | None = getattr(context, "write_budget", None)
        extra = {"writeBudget": write_budget_json(writes)} if writes is not None else {}
        dry_run = (self.execution_context.operation_extensions or {}).get(DRY_RUN) is True
        block = await cost_block(context, dry_run)
        return extra if block is None else {**extra, "cost": block}

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


def _empty_result() -> ExecutionResult:
    # a result set before execution makes strawberry skip it
    return ExecutionResult(data=None, errors=None)
