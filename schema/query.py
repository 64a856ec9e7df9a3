"""The root Query: who is calling, tenants in the caller's scope, and currencies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from auth.permissions import CanRead, IsAuthenticated
from auth.scope import own_tenant_id, readable_ids
from core.errors import BadUserInput, shown
from core.vocabulary import PrincipalKind, Tier
from resolvers.dictionary import definitions
from resolvers.money import USD
from schema import costs
from schema.context import Context
from schema.dictionary import MetricDefinition
from schema.tenant import Tenant

AUTHENTICATED = [IsAuthenticated]
TenantIdArg = Annotated[
    strawberry.ID | None, strawberry.argument(description="A tenant id the credential may read; omit for its only one.")
]
TenantIdsArg = Annotated[
    list[strawberry.ID] | None,
    strawberry.argument(description="Tenant ids the credential may read; omit for all of them."),
]
# data needs the `read` scope (an ingest-only key still sees `viewer`)
READERS = [IsAuthenticated, CanRead]


@strawberry.type(description="Cost-based budget for the current window, GitHub/Shopify style.")
class RateLimitStatus:
    limit: int = strawberry.field(description="Points per window for this principal's tier.")
    remaining: int = strawberry.field(description="Points left in the current window after this request.")
    reset_at: datetime = strawberry.field(description="When the window frees up enough to be full again.")
    cost: int = strawberry.field(description="Points this request cost.")


@strawberry.type(description="The caller, as its credential (JWT or API key) describes it.")
class Viewer:
    kind: PrincipalKind = strawberry.field(description="Whether the credential is a user's JWT or a partner API key.")
    subject: str = strawberry.field(description="The JWT's `sub` claim, or the API key's name.")
    tier: Tier = strawberry.field(description="The plan that decides which fields, ranges and budgets this caller has.")
    tenant_ids: list[strawberry.ID] = strawberry.field(description="The tenants this credential may read.")
    scopes: list[str] = strawberry.field(description="What this credential may do: read, ingest, admin.")

    @strawberry.field(metadata=costs.FREE, description="The cost budget of the current window (free to ask).")
    async def rate_limit(self, info: Info[Context, None]) -> RateLimitStatus:
        context = info.context
        budget = context.budget
        if budget is None and context.limits is not None:
            budget = await context.limits.points_left(context.principal)
        if budget is None:  # no limiter (direct schema use): the tier's full window
            limit = context.tiers[context.principal.tier].points_per_minute
            return RateLimitStatus(limit=limit, remaining=limit, reset_at=datetime.now(UTC), cost=context.cost)
        return RateLimitStatus(limit=budget.limit, remaining=budget.remaining, reset_at=budget.reset_at, cost=context.cost)


@strawberry.type(description="A currency that money can be reported in (it has exchange rates).")
class Currency:
    code: str = strawberry.field(description="ISO 4217 code, e.g. EUR; the value to pass as a `currency` argument.")
    usd_rate: float = strawberry.field(description="US dollars per one unit of this currency on `asOf`.")
    as_of: date = strawberry.field(description="Day of the latest exchange rate of this currency.")


def _missing(tenant_id: str) -> BadUserInput:
    """Only for ids the credential names, so it tells nothing about other customers."""
    return BadUserInput(f"tenant {shown(tenant_id)} does not exist", "id")


@strawberry.type(description="Every read starts here: the caller, its tenants, currencies and the metric dictionary.")
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
            scopes=sorted(principal.scopes),
        )

    @strawberry.field(
        permission_classes=READERS,
        metadata=costs.TENANT,
        description="One tenant. Without `id`: the caller's own tenant (an error if it has several). Null with an error when it cannot be read.",
    )
    async def tenant(self, info: Info[Context, None], id: TenantIdArg = None) -> Tenant | None:  # noqa: A002 - contract name
        tenant_id = own_tenant_id(info.context.principal, id)
        row = await info.context.loaders.tenants.load(tenant_id)
        if row is None:
            raise _missing(tenant_id)
        return Tenant(row=row)

    @strawberry.field(
        permission_classes=READERS,
        metadata=costs.TENANTS,
        description="Several tenants in one request (portfolios). Without `ids`: every tenant the caller may read. An item that fails is null, with an error at its path; the others stay.",
    )
    async def tenants(self, info: Info[Context, None], ids: TenantIdsArg = None) -> list[Tenant | None]:
        wanted = readable_ids(info.context.principal, ids)
        rows = await info.context.loaders.tenants.load_many(wanted)
        # an item that cannot be read is null with its own error (graphql-core raises returned errors)
        return [Tenant(row=row) if row else _missing(tenant_id) for tenant_id, row in zip(wanted, rows, strict=True)]

    @strawberry.field(
        permission_classes=READERS,
        description="Currencies that revenue can be reported in, with their latest rate.",
    )
    async def currencies(self, info: Info[Context, None]) -> list[Currency]:
        latest = dict(await info.context.loaders.fx.latest_rates())
        found = [Currency(code=code, usd_rate=float(rate.usd_per_unit), as_of=rate.day) for code, rate in latest.items()]
        if USD not in latest:
            as_of = max((rate.day for rate in latest.values()), default=date.today())
            found.append(Currency(code=USD, usd_rate=1.0, as_of=as_of))
        return sorted(found, key=lambda currency: currency.code)

    @strawberry.field(
        metadata=costs.FREE,
        description="The metric dictionary: what each metric means, its unit, and the dimensions and granularities "
        "it supports. Open to callers without credentials, like introspection.",
    )
    def metric_definitions(self) -> list[MetricDefinition]:
        return [MetricDefinition.of(definition) for definition in definitions()]
