"""Loader statements stream their rows in parts (the event loop gets a turn between them): every
row of a result several parts long still arrives, in order, on SQLite and MariaDB."""

from __future__ import annotations

from sqlalchemy import select

from gateway.database import create_engine
from gateway.settings import Settings
from loaders.dataloaders import ROWS_PER_STEP, Loaders
from loaders.tables import pageviews


async def test_a_result_of_many_parts_arrives_whole_and_in_order(demo_store_url: str) -> None:
    engine = create_engine(Settings(database_url=demo_store_url))
    try:
        statement = select(pageviews.c.id, pageviews.c.visitor_id).order_by(pageviews.c.id).limit(ROWS_PER_STEP * 8 + 3)
        async with engine.connect() as conn:
            expected = [tuple(row) for row in (await conn.execute(statement)).all()]
        rows = await Loaders(engine)._rows(statement)
        assert len(expected) == ROWS_PER_STEP * 8 + 3
        assert [tuple(row) for row in rows] == expected
    finally:
        await engine.dispose()
