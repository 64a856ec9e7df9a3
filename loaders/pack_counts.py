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
from loaders.traffic_packs import EPOCH, RECORD

MEMBER_BITS = 40  # member numbers below 2**40; the (tenant, key) group in the bits above
EPOCH_ORDINAL = EPOCH.toordinal()
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
    days: np.ndarray  # of each pack, as date ordinals
    sizes: np.ndarray  # records of each pack


def decoded(rows: Sequence[tuple[str, Any, bytes]]) -> Packs:
    """(tenant_id, day, records) rows, decoded once for every shape counted over them."""
    tenants = sorted({tenant_id for tenant_id, _, _ in rows})
    records, tenant, sizes = decode(rows, RECORD, {tenant_id: i for i, tenant_id in enumerate(tenants)})
    days = np.array([_as_date(day).toordinal() for _, day, _ in rows], dtype=np.int64)
    return Packs(tenants, records, tenant, days, np.array(sizes, dtype=np.int64))


def decoded_weeks(rows: Sequence[tuple[str, int, str | None, bytes | None]]) -> Packs | None:
    """traffic_packs.weeks_query's rows, decoded as `decoded` does the packs they concatenate;
    None when a row came back cut short (longer than the session's group_concat_max_len)."""
    if not rows:
        return decoded([])
    if any(layout is None or blob is None for _, _, layout, blob in rows):
        return None
    tenants = sorted({row[0] for row in rows})
    index = {tenant_id: i for i, tenant_id in enumerate(tenants)}
    layouts = [layout for _, _, layout, _ in rows]
    try:  # "day:bytes,day:bytes" of every row, parsed in one go
        flat = np.array(",".join(layouts).replace(":", ",").split(","), dtype=np.int64)  # type: ignore[arg-type]
    except ValueError:  # a layout cut short inside an entry
        return None
    entries = np.array([layout.count(",") + 1 for layout in layouts], dtype=np.int64)  # type: ignore[union-attr]
    if len(flat) != 2 * int(entries.sum()) or entries.tolist() != [int(row[1]) for row in rows]:
        return None  # a layout cut short between entries
    days, lengths = flat[0::2] + EPOCH_ORDINAL, flat[1::2]
    first = np.concatenate(([0], np.cumsum(entries)[:-1]))
    if np.add.reduceat(lengths, first).tolist() != [len(row[3]) for row in rows]:  # type: ignore[arg-type]
        return None  # records cut short
    sizes = lengths // RECORD.itemsize
    owners = np.repeat(np.array([index[row[0]] for row in rows], dtype=np.int64), entries)
    records = np.frombuffer(b"".join(row[3] for row in rows), dtype=RECORD)  # type: ignore[misc]
    return Packs(tenants, records, np.repeat(owners, sizes), days, sizes)


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
    days, inverse = np.unique(packs.days, return_inverse=True)  # a range's few distinct days
    starts: dict[date, int] = {}
    per_day = [starts.setdefault(period_of(date.fromordinal(day), granularity), len(starts)) for day in days.tolist()]
    per_pack = np.array(per_day, dtype=np.int64)[inverse.reshape(-1)]
    return np.repeat(per_pack, packs.sizes), list(starts)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _measures(records: np.ndarray, group: np.ndarray, groups: int, measures: Set[TrafficMeasure]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    if measures & {TrafficMeasure.VISITORS, TrafficMeasure.LOGGED_IN}:
        logged_in = records["logged_in"] if TrafficMeasure.LOGGED_IN in measures else None
        visitors = _Members(group, records["visitor"], groups, logged_in, 1)
        if TrafficMeasure.VISITORS in measures:
            out["visitors"] = visitors.distinct()
        if TrafficMeasure.LOGGED_IN in measures:
            out["logged_in"] = visitors.distinct(0)
    if measures & {TrafficMeasure.SESSIONS, TrafficMeasure.FUNNEL}:
        steps = records["steps"] if TrafficMeasure.FUNNEL in measures else None
        sessions = _Members(group, records["session"], groups, steps, len(FUNNEL_STEPS))
        if TrafficMeasure.SESSIONS in measures:
            out["sessions"] = sessions.distinct()
        if TrafficMeasure.FUNNEL in measures:
            for i in range(len(FUNNEL_STEPS)):
                out[f"funnel{i}"] = sessions.distinct(i)
    if TrafficMeasure.PAGEVIEWS in measures:
        out["pageviews"] = np.bincount(group, weights=records["pageviews"], minlength=groups)
    return out


class _Members:
    """One member number per record, its group and optional flag bits (a session's funnel steps,
    a visitor's login): distinct members per group, of all records or of those members with a
    flag set on any of their records.

    One sort of 64-bit keys (group, member, flags), which numpy sorts several times faster than
    it orders them by index; the flags of a member's records are OR-ed over its run of keys."""

    def __init__(self, group: np.ndarray, members: np.ndarray, groups: int, flags: np.ndarray | None, bits: int) -> None:
        self.groups = groups
        self.bits = bits if flags is not None else 0
        wide = len(members) > 0 and (
            int(members.max()) >= 1 << MEMBER_BITS or groups >= 1 << (63 - MEMBER_BITS - self.bits)
        )
        self.owner, self.merged = (_wide if wide else _narrow)(group, members, flags, self.bits)
        self._by_flags: np.ndarray | None = None

    def distinct(self, flag: int | None = None) -> np.ndarray:
        """Distinct members per group; with `flag`, of those with that flag bit on a record."""
        if flag is None:
            return np.bincount(self.owner, minlength=self.groups)
        assert self.merged is not None, "no flags were given"
        if self._by_flags is None:  # members per group and combination of flags, counted once for every flag
            combined = (self.owner << self.bits) | self.merged
            self._by_flags = np.bincount(combined, minlength=self.groups << self.bits).reshape(self.groups, -1)
        with_flag = (np.arange(1 << self.bits) >> flag) & 1 != 0
        return self._by_flags[:, with_flag].sum(axis=1)


def _narrow(group: np.ndarray, members: np.ndarray, flags: np.ndarray | None, bits: int) -> tuple[np.ndarray, np.ndarray | None]:
    keys = (group << MEMBER_BITS) | members
    if flags is not None:
        keys = (keys << bits) | flags
    # timsort: records come in runs already in order (a pack's sessions, numbered as they came),
    # which it merges several times faster than quicksort sorts them (3.7 vs 13 ms for 300,000)
    keys.sort(kind="stable")
    ids = keys >> bits  # bits is 0 without flags
    starts = _starts(ids)
    merged = None if flags is None else _merged(keys & ((1 << bits) - 1), starts)
    return ids[starts] >> MEMBER_BITS, merged


def _wide(group: np.ndarray, members: np.ndarray, flags: np.ndarray | None, bits: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Numbers too large to share one 64-bit key with the group: ordered by both."""
    order = np.lexsort((members, group))
    group, members = group[order], members[order]
    first = np.ones(len(members), dtype=bool)
    first[1:] = (group[1:] != group[:-1]) | (members[1:] != members[:-1])
    starts = np.flatnonzero(first)
    merged = None if flags is None else _merged(flags[order].astype(np.int64), starts)
    return group[starts], merged


def _merged(flags: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The flags of each run OR-ed (reduceat wants at least one run)."""
    return np.bitwise_or.reduceat(flags, starts) if len(starts) else np.zeros(0, dtype=np.int64)


def _starts(ids: np.ndarray) -> np.ndarray:
    first = np.ones(len(ids), dtype=bool)
    first[1:] = ids[1:] != ids[:-1]
    return np.flatnonzero(first)
