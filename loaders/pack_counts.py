"""The traffic measures of a range, per tenant and key, counted from packs (numpy).

The same numbers as COUNT(DISTINCT visitor_num) etc. over rollup_traffic grouped by tenant and
key: a distinct count is the number of distinct (tenant, key, member number) triples among the
range's records, taken by sorting them; pageviews are a sum. Pure CPU, no I/O: callers run it off the event loop (numpy's sort
releases the GIL, so it overlaps the request's other work).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from datetime import date
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.calendar import period_of
from core.vocabulary import FUNNEL_STEPS, Dimension, Granularity
from loaders.facts import Traffic, TrafficMeasure, TrafficShape
from loaders.packs import decode
from loaders.traffic_packs import RECORD

MEMBER_BITS = 40  # member numbers below 2**40; the (tenant, key) group in the bits above
FIELDS = {Dimension.CHANNEL: "channel", Dimension.DEVICE: "device", Dimension.COUNTRY: "country"}


def covers(shape: TrafficShape) -> bool:
    """Whether the packs can answer this traffic shape (not the UTM dimensions: raw rows only)."""
    return not isinstance(shape, Dimension) or shape in FIELDS or shape is Dimension.LOGIN_STATUS


@dataclass(frozen=True)
class Packs:
    """A range's traffic packs decoded: every record, its tenant's index and its day's."""

    tenants: list[str]
    records: np.ndarray
    tenant: np.ndarray
    days: list[date]  # of each pack
    sizes: list[int]  # records of each pack


def decoded(rows: Sequence[tuple[str, Any, bytes]]) -> Packs:
    """(tenant_id, day, records) rows, decoded once for every shape counted over them."""
    tenants = sorted({tenant_id for tenant_id, _, _ in rows})
    records, tenant, sizes = decode(rows, RECORD, {tenant_id: i for i, tenant_id in enumerate(tenants)})
    return Packs(tenants, records, tenant, [_as_date(day) for _, day, _ in rows], sizes)


def count(
    packs: Packs, shape: TrafficShape, measures: Set[TrafficMeasure], labels: Mapping[int, str] | None = None
) -> dict[str, dict[Any, Traffic]]:
    """labels: code -> value of the shape's dimension."""
    if not packs.tenants:
        return {}
    key, keys = _keys(packs, shape, labels or {})
    group = packs.tenant * len(keys) + key
    groups = len(packs.tenants) * len(keys)
    present = np.bincount(group, minlength=groups)
    columns = _measures(packs.records, group, groups, measures)
    out: dict[str, dict[Any, Traffic]] = {}
    for g in np.flatnonzero(present).tolist():
        values = {name: int(column[g]) for name, column in columns.items()}
        out.setdefault(packs.tenants[g // len(keys)], {})[keys[g % len(keys)]] = Traffic(
            values.get("visitors", 0), values.get("sessions", 0), values.get("pageviews", 0),
            values.get("logged_in", 0), tuple(values.get(f"funnel{i}", 0) for i in range(len(FUNNEL_STEPS))),
        )
    return out


def _keys(packs: Packs, shape: TrafficShape, labels: Mapping[int, str]) -> tuple[np.ndarray, list[Any]]:
    """Each record's key index, and the keys (as the SQL returns them: period start, value, None)."""
    records = packs.records
    if shape is None:
        return np.zeros(len(records), dtype=np.int64), [None]
    if isinstance(shape, Granularity):
        return _periods(packs, shape)
    if shape is Dimension.LOGIN_STATUS:
        return records["logged_in"].astype(np.int64), [False, True]
    codes = records[FIELDS[shape]]
    # a store has few labels: index them through a table as long as their codes (no sort)
    present = np.flatnonzero(np.bincount(codes))
    index = np.zeros(int(present[-1]) + 1 if len(present) else 1, dtype=np.int64)
    index[present] = np.arange(len(present))
    return index[codes], [None if code == 0 else labels[code] for code in present.tolist()]


def _periods(packs: Packs, granularity: Granularity) -> tuple[np.ndarray, list[Any]]:
    starts: dict[date, int] = {}
    per_pack = [starts.setdefault(period_of(day, granularity), len(starts)) for day in packs.days]
    return np.repeat(np.array(per_pack, dtype=np.int64), packs.sizes), list(starts)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _measures(records: np.ndarray, group: np.ndarray, groups: int, measures: Set[TrafficMeasure]) -> dict[str, np.ndarray]:
    visitors, sessions = _Members(group, records["visitor"], groups), _Members(group, records["session"], groups)
    out: dict[str, np.ndarray] = {}
    if TrafficMeasure.VISITORS in measures:
        out["visitors"] = visitors.distinct()
    if TrafficMeasure.SESSIONS in measures:
        out["sessions"] = sessions.distinct()
    if TrafficMeasure.PAGEVIEWS in measures:
        out["pageviews"] = np.bincount(group, weights=records["pageviews"], minlength=groups)
    if TrafficMeasure.LOGGED_IN in measures:
        out["logged_in"] = visitors.distinct(records["logged_in"] != 0)
    if TrafficMeasure.FUNNEL in measures:
        steps = records["steps"]
        for i in range(len(FUNNEL_STEPS)):
            out[f"funnel{i}"] = sessions.distinct((steps & (1 << i)) != 0)
    return out


class _Members:
    """One member number per record and its group: distinct members per group, of all records
    or of those a mask selects."""

    def __init__(self, group: np.ndarray, members: np.ndarray, groups: int) -> None:
        self.groups = groups
        # one 64-bit key per record, the group in the high bits, when both fit
        self.wide = len(members) > 0 and (int(members.max()) >= 1 << MEMBER_BITS or groups >= 1 << (63 - MEMBER_BITS))
        self.group, self.members = group, members
        self.keys = None if self.wide else (group << MEMBER_BITS) | members

    def distinct(self, where: np.ndarray | None = None) -> np.ndarray:
        if self.wide:
            return self._lexsorted(where)
        keys = np.sort(self.keys if where is None else self.keys[where])
        if len(keys) == 0:
            return np.zeros(self.groups, dtype=np.int64)
        first = np.empty(len(keys), dtype=bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        return np.bincount(keys[first] >> MEMBER_BITS, minlength=self.groups)

    def _lexsorted(self, where: np.ndarray | None) -> np.ndarray:
        """Numbers too large to share one 64-bit key with the group: sorted by both."""
        group, members = (self.group, self.members) if where is None else (self.group[where], self.members[where])
        order = np.lexsort((members, group))
        group, members = group[order], members[order]
        first = np.ones(len(members), dtype=bool)
        first[1:] = (group[1:] != group[:-1]) | (members[1:] != members[:-1])
        return np.bincount(group[first], minlength=self.groups)
