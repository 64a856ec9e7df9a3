"""The root Query: who is calling, tenants in the caller's scope, and currencies."""

from __future__ import annotations

from datetime import UTC, date, datetime

import strawberry
from strawberry.types import Info

from auth.permissions import IsAuthenticated
from auth.scope import own_tenant_id, readable_ids
from core.errors import BadUserInput, shown
from core.vocabulary import PrincipalKind, Tier
from resolvers.money import USD
from schema import costs
from schema.context import Context
from schema.tenant import Tenant

AUTHENTICATED = [IsAuthenticated]


@strawberry.type(description="Cost-based budget for the current window, GitHub/Shopify style.")
class RateLimitStatus:
    limit: int = strawberry.field(description="Points per window for this principal's tier.")
    remaining: int = strawberry.field(description="Points left in the current window after this request.")
    reset_at: datetime = strawberry.field(description="When the window frees up enough to be full again.")
    cost: int = strawberry.field(description="Points this request cost.")


@strawberry.type
class Viewer:
    kind: PrincipalKind
    subject: str
    tier: Tier
    tenant_ids: list[strawberry.ID]

    @strawberry.field(metadata=costs.FREE)
    async def rate_limit(self, info: Info[Context, None]) -> RateLimitStatus:
        context = info.context
        budget = context.budget
        if budget is None and context.limits is not None:
            budget = await context.limits.points_left(context.principal)
        if budget is None:  # no limiter (direct schema use): the tier's full window
            limit = context.tiers[context.principal.tier].points_per_minute
            return RateLimitStatus(limit=limit, remaining=limit, reset_at=datetime.now(UTC), cost=context.cost)
        return RateLimitStatus(limit=budget.limit, remaining=budget.remaining, reset_at=budget.reset_at, cost=context.cost)


@strawberry.type
class Currency:
    code: str
    usd_rate: float = strawberry.field(description="US dollars per one unit of this currency on `asOf`.")
    as_of: date


def _missing(tenant_id: str) -> BadUserInput:
    """Only for ids the credential names, so it tells nothing about other customers."""
    return BadUserInput(f"tenant {shown(tenant_id)} does not exist", "id")


@strawberry.type
class Query:
    @strawberry.field(
        permission_classes=AUTHENTICATED,
        metadata=costs.FREE,
        description="Who is calling: identity, tier, readable tenants and rate-limit state.",
    )
    def viewer(self, info: Info[Context, None]) -> Viewer:
        principal = info.context.principal
        return Viewer(
            kind=principal.kind,
            subject=principal.subject,
            tier=principal.tier,
            tenant_ids=[strawberry.ID(t) for t in principal.tenant_ids],
        )

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        metadata=costs.TENANT,
        description="One tenant. Without `id`: the caller's own tenant (an error if it has several). Null with an error when it cannot be read.",
    )
    async def tenant(self, info: Info[Context, None], id: strawberry.ID | None = None) -> Tenant | None:  # noqa: A002 - contract name
        tenant_id = own_tenant_id(info.context.principal, id)
        row = await info.context.loaders.tenants.load(tenant_id)
        if row is None:
            raise _missing(tenant_id)
        return Tenant(row=row)

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        metadata=costs.TENANTS,
        description="Several tenants in one request (portfolios). Without `ids`: every tenant the caller may read. An item that fails is null, with an error at its path; the others stay.",
    )
    async def tenants(self, info: Info[Context, None], ids: list[strawberry.ID] | None = None) -> list[Tenant | None]:
        wanted = readable_ids(info.context.principal, ids)
        rows = await info.context.loaders.tenants.load_many(wanted)
        # an item that cannot be read is null with its own error (graphql-core raises returned errors)
        return [Tenant(row=row) if row else _missing(tenant_id) for tenant_id, row in zip(wanted, rows, strict=True)]

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="Currencies that revenue can be reported in, with their latest rate.",
    )
    async def currencies(self, info: Info[Context, None]) -> list[Currency]:
        latest = dict(await info.context.loaders.latest_rates())
        found = [Currency(code=code, usd_rate=float(rate.usd_per_unit), as_of=rate.day) for code, rate in latest.items()]
        if USD not in latest:
            as_of = max((rate.day for rate in latest.values()), default=date.today())
            found.append(Currency(code=USD, usd_rate=1.0, as_of=as_of))
        return sorted(found, key=lambda currency: currency.code)
