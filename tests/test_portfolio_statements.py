"""A portfolio query runs a fixed number of SQL statements, whatever the number of tenants."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import event, select

from auth.principal import Principal
from core.vocabulary import PrincipalKind, Tier
from demo.seeding import seed_store
from gateway.context import build_context
from gateway.database import create_engine
from gateway.settings import Settings
from loaders.tables import tenants
from schema.root import schema
from tests.conftest import BACKENDS
from tests.services import fresh_store

# Stated in README.md: tenants, fx rates, the traffic packs (totals and the split by channel
# count from the same rows), booking and survey packs, the same three for previousPeriod, and
# the channels' names for the charts (the rollups answer every range, retention or not, so no
# cutoff is read).
PORTFOLIO_STATEMENTS = 9

PORTFOLIO = """
query($ids: [ID!]) {
  tenants(ids: $ids) {
    id name
    metrics(range: {from: "2026-03-08", to: "2026-03-21"}) {
      uniqueVisitors sessions pageviews bookings cancellations roomNights
      revenue { amount currency } averageBookingValue { amount }
      conversionRate cancellationRate repeatBookingRate nps
      previousPeriod { uniqueVisitors bookings revenue { amount } nps repeatBookingRate }
    }
    charts(range: {from: "2026-03-08", to: "2026-03-21"}) {
      visitorsByChannel { key value share }
      loginStatus { key value share }
      bookingFunnel { step sessions conversionFromPrevious }
      revenueTrend { start value }
      npsTrend { start value }
      rebookingTrend { start value }
    }
  }
}
"""


@pytest.fixture(scope="module", params=BACKENDS)
def portfolio_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_store(request.param, str(tmp_path_factory.mktemp("portfolio"))) as url:
        asyncio.run(_seed(url))
        yield url


async def _seed(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        await seed_store(engine, tenants=50, days=28, seed=3, end=date(2026, 3, 21), progress=False)
    finally:
        await engine.dispose()


async def _statements(url: str, limit: int) -> tuple[int, int]:
    settings = Settings(database_url=url)
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            ids = [row[0] for row in await conn.execute(select(tenants.c.id).order_by(tenants.c.id).limit(limit))]
        seen: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
        principal = Principal(PrincipalKind.USER, "portfolio", Tier.ENTERPRISE, tuple(ids))
        context = build_context(engine=engine, settings=settings, principal=principal)
        result = await schema.execute(PORTFOLIO, variable_values={"ids": ids}, context_value=context)
        assert result.errors is None, result.errors
        assert len(result.data["tenants"]) == len(ids)
        return len(ids), len(seen)
    finally:
        await engine.dispose()


async def test_statement_count_is_fixed_and_stated(portfolio_store: str) -> None:
    small = await _statements(portfolio_store, 5)
    large = await _statements(portfolio_store, 50)
    assert small == (5, PORTFOLIO_STATEMENTS)
    assert large == (50, PORTFOLIO_STATEMENTS)
