"""Running a document straight through the schema, as a given principal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from auth.limits import RateLimits
from auth.permissions import gated_fields
from auth.principal import Principal
from auth.tiers import load_tiers
from core.vocabulary import PrincipalKind, Tier
from gateway.context import build_context
from gateway.database import create_engine
from gateway.settings import Settings
from loaders.tables import tenants
from schema.root import schema


async def tenant_ids(url: str) -> list[str]:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as conn:
            return [row[0] for row in await conn.execute(select(tenants.c.id).order_by(tenants.c.id))]
    finally:
        await engine.dispose()


async def execute(
    url: str, query: str, variables: dict[str, Any] | None = None, *, tenants: list[str], tier: Tier = Tier.ENTERPRISE,
    limits: RateLimits | None = None, extensions: dict[str, Any] | None = None, **settings: Any,
) -> Any:
    config = Settings(database_url=url, **settings)
    engine = create_engine(config)
    try:
        principal = Principal(PrincipalKind.USER, "test", tier, tuple(tenants))
        tiers = load_tiers(config.tiers_file, gated_fields(schema))
        context = build_context(engine=engine, settings=config, principal=principal, tiers=tiers, limits=limits)
        return await schema.execute(
            query, variable_values=variables, context_value=context, operation_extensions=extensions
        )
    finally:
        await engine.dispose()
