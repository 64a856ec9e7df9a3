"""Shared pieces of the ingestion tests: a small store, items, running mutations as a principal."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from auth.principal import Principal, PrincipalKind
from core.vocabulary import Tier
from gateway.context import build_context
from gateway.database import create_engine
from gateway.settings import Settings
from ingest.service import Ingestor
from loaders import tables
from loaders.bulk_insert import insert_rows
from loaders.store import create_schema
from schema.root import schema

TENANTS = [
    {"id": "ing-a", "name": "Ingest A", "segment": "city_hotel", "country": "DE", "currency": "EUR"},
    {"id": "ing-b", "name": "Ingest B", "segment": "resort", "country": "US", "currency": "USD"},
]
FX = [
    {"currency": "EUR", "day": date(2025, 1, 1), "usd_per_unit": Decimal("1.08000000")},
    {"currency": "EUR", "day": date(2025, 3, 1), "usd_per_unit": Decimal("1.09500000")},
]


async def prepare(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        await create_schema(engine)
        await insert_rows(engine, tables.tenants, TENANTS)
        await insert_rows(engine, tables.fx_rates, FX)
    finally:
        await engine.dispose()


async def fill(url: str, tenant_ids: tuple[str, ...], fx_day: date, rows: dict[str, list[dict[str, Any]]]) -> None:
    """A new store of EUR tenants, one EUR rate on `fx_day`, and `rows` by fact table name."""
    engine = create_engine(Settings(database_url=url))
    try:
        await create_schema(engine)
        await insert_rows(engine, tables.tenants, [
            {"id": t, "name": t, "segment": "city_hotel", "country": "DE", "currency": "EUR"} for t in tenant_ids])
        await insert_rows(engine, tables.fx_rates, [{"currency": "EUR", "day": fx_day, "usd_per_unit": Decimal("1.1")}])
        for name, batch in rows.items():
            await insert_rows(engine, getattr(tables, name), batch)
    finally:
        await engine.dispose()


async def count(url: str, table: str, tenant_id: str | None = None) -> int:
    engine = create_engine(Settings(database_url=url))
    try:
        source = tables.metadata.tables[table]
        statement = select(func.count()).select_from(source)
        if tenant_id is not None:
            statement = statement.where(source.c.tenant_id == tenant_id)
        async with engine.connect() as conn:
            return int((await conn.execute(statement)).scalar_one())
    finally:
        await engine.dispose()


def pageview(n: int, **overrides: Any) -> dict[str, Any]:
    ts = datetime(2025, 3, 1, 8) + timedelta(minutes=n)
    item = {
        "eventId": f"pv-{n}", "ts": ts.isoformat() + "+00:00", "visitorId": f"v-{n % 7}", "sessionId": f"s-{n % 11}",
        "step": "LANDING", "channel": "direct", "device": "mobile", "country": "DE", "loggedIn": n % 2 == 0,
    }
    return {**item, **overrides}


def booking(n: int, **overrides: Any) -> dict[str, Any]:
    item = {
        "bookingRef": f"bk-{n}", "bookedAt": f"2025-03-0{1 + n % 5}T10:00:00+01:00", "customerId": f"c-{n % 3}",
        "checkIn": "2025-05-01", "nights": 2, "rooms": 1, "amount": f"{100 + n}.50", "currency": "EUR",
        "status": "CONFIRMED", "channel": "email",
    }
    return {**item, **overrides}


def survey(n: int, **overrides: Any) -> dict[str, Any]:
    return {"responseId": f"sv-{n}", "ts": "2025-03-02T12:00:00Z", "score": n % 11, **overrides}


def principal(tenants: list[str], scopes: set[str], tier: Tier = Tier.ENTERPRISE) -> Principal:
    return Principal(PrincipalKind.USER, "ingest-test", tier, tuple(tenants), frozenset(scopes))


RESULT = "{ inserted updated duplicates errors { index field message } }"
MUTATIONS = {
    "pageviews": ("recordPageviews", "PageviewInput"),
    "bookings": ("recordBookings", "BookingInput"),
    "surveys": ("recordSurveyResponses", "SurveyResponseInput"),
}


async def record(url: str, kind: str, items: list[dict[str, Any]], *, who: Principal, tenant: str | None = None,
                 partial: bool = False, ingestor: Ingestor | None = None, **settings: Any) -> Any:
    """Runs one record* mutation through the schema as `who`."""
    if kind == "fx":
        document = f"mutation($items: [FxRateInput!]!, $partial: Boolean!) {{ recordFxRates(items: $items, partial: $partial) {RESULT} }}"
        variables: dict[str, Any] = {"items": items, "partial": partial}
    else:
        field, input_type = MUTATIONS[kind]
        document = (f"mutation($t: ID, $items: [{input_type}!]!, $partial: Boolean!) "
                    f"{{ {field}(tenantId: $t, items: $items, partial: $partial) {RESULT} }}")
        variables = {"t": tenant, "items": items, "partial": partial}
    config = Settings(database_url=url, **settings)
    engine = ingestor.engine if ingestor is not None else create_engine(config)
    try:
        context = build_context(engine=engine, settings=config, principal=who, ingest=ingestor)
        return await schema.execute(document, variable_values=variables, context_value=context)
    finally:
        if ingestor is None:
            await engine.dispose()
