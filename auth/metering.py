"""What every request of a credential is charged, and the cost block every answer carries.

Two budgets per credential and minute: requests (each request counts one, whatever becomes
of it: a document that does not parse, a refusal, a dry run) and points (the cost of an
operation that runs). `extensions.cost` and the `X-RateLimit-*` headers always describe the
points budget; a refusal by the request count says so in its message and `Retry-After`.
"""

from __future__ import annotations

from typing import Any, Protocol

from auth.limits import Budget, RateLimits
from auth.principal import Principal
from auth.tiers import TierTable
from core.errors import RateLimited
from telemetry.metrics import RATE_LIMITED


class Metered(Protocol):
    principal: Principal | None
    limits: RateLimits | None
    tiers: TierTable
    cost: int
    budget: Budget | None


def rate_limited(budget: Budget, what: str) -> RateLimited:
    RATE_LIMITED.labels(what).inc()
    return RateLimited(
        f"rate limit of {budget.limit} {what} per minute exceeded; retry after {budget.retry_after} s",
        retryAfter=budget.retry_after,
        resetAt=budget.reset_at.isoformat(),
    )


async def count_request(context: Metered) -> None:
    """One request of the context's credential; RATE_LIMITED past the tier's requests per minute."""
    if context.principal is None or context.limits is None:
        return
    refused = await context.limits.count_request(context.principal)
    if refused is not None:
        context.budget = await context.limits.points_left(context.principal)
        raise rate_limited(refused, "requests")


async def points_budget(context: Metered) -> Budget | None:
    """The points budget after this request (looked up when nothing was charged)."""
    if getattr(context, "principal", None) is None or context.limits is None:
        return None
    if context.budget is None:
        context.budget = await context.limits.points_left(context.principal)
    return context.budget


async def cost_block(context: Metered, dry_run: bool = False) -> dict[str, Any] | None:
    budget = await points_budget(context)
    if budget is None:
        return None
    return {
        "requestedQueryCost": context.cost,
        "limit": budget.limit,
        "remaining": budget.remaining,
        "resetAt": budget.reset_at.isoformat(),
        "maxQueryCost": context.tiers[context.principal.tier].max_query_cost,
        "dryRun": dry_run,
    }
