"""The SELECTs of loaders/queries.py answered from the rollups: same columns, same numbers.

Ranges are whole UTC days and rollup rows are whole UTC days, so no raw row is needed. Traffic
and bookings are read from their packs instead (loaders/traffic_packs.py, booking_packs.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select

from loaders.facts import TrafficShape
from core.calendar import DayRange
from core.vocabulary import Dimension
from loaders.rollup_tables import rollup_surveys, rollup_traffic

R = rollup_traffic.c
DIMENSION_COLUMNS = {
    Dimension.CHANNEL: R.channel,
    Dimension.DEVICE: R.device,
    Dimension.COUNTRY: R.country,
    Dimension.LOGIN_STATUS: R.logged_in,
}


def covers(shape: TrafficShape) -> bool:
    """Whether the rollups can answer this traffic shape (not the UTM dimensions)."""
    return not isinstance(shape, Dimension) or shape in DIMENSION_COLUMNS


def surveys_query(ids: Sequence[str], days: DayRange) -> Select:
    s = rollup_surveys.c
    return select(s.tenant_id, s.day, s.answers, s.promoters, s.detractors).where(
        s.tenant_id.in_(ids), s.day >= days.start, s.day <= days.end
    )
