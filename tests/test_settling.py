"""A failing field does not leave its siblings' SQL running after the response."""

from __future__ import annotations

from auth.principal import Principal
from core.vocabulary import PrincipalKind, Tier
from gateway.context import build_context
from gateway.database import create_engine
from gateway.settings import Settings
from schema.root import schema
from tests.gql import tenant_ids

# `series` fails at once (from > to) while `dataRange` is still querying
QUERY = """{ tenant { dataRange { from to }
  series(metric: PAGEVIEWS, range: {from: "2026-02-01", to: "2026-01-01"}) { start } } }"""


async def test_no_statement_outlives_the_operation(sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    settings = Settings(database_url=sqlite_demo_url)
    engine = create_engine(settings)
    try:
        for _ in range(5):
            context = build_context(
                engine=engine, settings=settings, principal=Principal(PrincipalKind.USER, "s", Tier.PROFESSIONAL, ids[:1])
            )
            result = await schema.execute(QUERY, context_value=context)
            assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
            assert not context.loaders._inflight
            assert engine.pool.checkedout() == 0
    finally:
        await engine.dispose()
