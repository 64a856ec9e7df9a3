"""Each tenant's data version, as the store holds it (bumped with every rollup rebuild).

Read at most every `max_age` seconds per tenant (one small statement for all tenants of a
request), and at once after this process wrote (`expire`). Another replica's write is
therefore seen within `max_age`; a write through this process immediately.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cache.flights import Flights
from loaders.rollup_tables import data_versions


class DataVersions:
    def __init__(self, engine: AsyncEngine, max_age: float = 1.0) -> None:
        self.engine = engine
        self.max_age = max_age
        self._known: dict[str, int] = {}
        self._read_at: dict[str, float] = {}
        self._flights = Flights()

    async def of(self, tenant_ids: Sequence[str]) -> dict[str, int]:
        now = time.monotonic()
        stale = sorted({t for t in tenant_ids if now - self._read_at.get(t, -math.inf) > self.max_age})
        if stale:
            await self._flights.run(tuple(stale), lambda: self._read(stale))
        return {t: self._known.get(t, 0) for t in tenant_ids}

    async def _read(self, tenant_ids: list[str]) -> None:
        started = time.monotonic()
        v = data_versions.c
        async with self.engine.connect() as conn:
            rows = dict((await conn.execute(select(v.tenant_id, v.version).where(v.tenant_id.in_(tenant_ids)))).all())
        for tenant_id in tenant_ids:
            self._known[tenant_id] = int(rows.get(tenant_id, 0))
            self._read_at[tenant_id] = started

    def expire(self, tenant_ids: Iterable[str] | None = None) -> None:
        """Forget what was read, so the next request reads the versions again."""
        if tenant_ids is None:
            self._read_at.clear()
        else:
            for tenant_id in tenant_ids:
                self._read_at.pop(tenant_id, None)
