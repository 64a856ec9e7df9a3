"""rollup_surveys as month packs (loaders/packs.py), read back as the SurveyDay rows it gives."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncConnection

from core.calendar import DayRange
from loaders.facts import SurveyDay
from loaders.packs import Span, decode, inside, month_packs_query, repack_months
from loaders.rollup_tables import rollup_survey_packs, rollup_surveys

RECORD = np.dtype([("day", "<i4"), ("answers", "<u4"), ("promoters", "<u4"), ("detractors", "<u4")])
MEASURES = ("answers", "promoters", "detractors")


async def repack_in(conn: AsyncConnection, tenant_id: str, spans: Iterable[Span]) -> None:
    await repack_months(conn, rollup_surveys, rollup_survey_packs, tenant_id, spans, RECORD, MEASURES)


def packs_query(ids: Sequence[str], days: DayRange) -> Any:
    return month_packs_query(rollup_survey_packs, ids, days)


def survey_days(packs: Sequence[Sequence[Any]], days: DayRange) -> dict[str, list[SurveyDay]]:
    """The range's rows per tenant and day (one rollup row each)."""
    if not packs:
        return {}
    tenants = sorted({row[0] for row in packs})
    records, tenant = inside(*decode(packs, RECORD, {tenant_id: i for i, tenant_id in enumerate(tenants)})[:2], days)
    out: dict[str, list[SurveyDay]] = defaultdict(list)
    for t, day, answers, promoters, detractors in zip(tenant.tolist(), *(records[name].tolist() for name in RECORD.names)):
        out[tenants[t]].append(SurveyDay(date.fromordinal(day), answers, promoters, detractors))
    return out
