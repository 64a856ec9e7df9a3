"""Counting from packs equals counting the same records with Python sets, for every shape and
measure, also with member numbers too large to share a 64-bit key with the group."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest

from core.calendar import period_of
from core.vocabulary import FUNNEL_STEPS, Dimension, Granularity
from loaders import pack_counts
from loaders.facts import ALL_MEASURES, Traffic, TrafficMeasure
from loaders.packs import BLOB
from loaders.traffic_packs import RECORD

LABELS = {1: "direct", 2: "paid", 3: "email", 4: "desktop", 5: "mobile", 6: "CH", 7: "DE"}
SHAPES: list[Any] = [None, *Granularity, Dimension.CHANNEL, Dimension.DEVICE, Dimension.COUNTRY, Dimension.LOGIN_STATUS]


def _records(rng: random.Random, top: int) -> list[tuple[str, date, tuple[Any, ...]]]:
    """(tenant, day, record) with members shared within a tenant (returning visitors, sessions
    over midnight), as rollup_traffic holds them."""
    out = []
    for tenant in ("a", "b", "c"):
        base = rng.randrange(top)
        for _ in range(rng.randrange(0, 400)):
            day = date(2025, 1, 1) + timedelta(days=rng.randrange(120))
            out.append((tenant, day, (
                base + rng.randrange(60), base + 1000 + rng.randrange(200), rng.choice([1, 2, 3]),
                rng.choice([4, 5]), rng.choice([0, 6, 7]), rng.random() < 0.3, rng.randrange(32), rng.randrange(1, 9),
            )))
    return out


def _packs(records: list[tuple[str, date, tuple[Any, ...]]]) -> list[tuple[str, date, bytes]]:
    by_day: dict[tuple[str, date], list[tuple[Any, ...]]] = defaultdict(list)
    for tenant, day, record in records:
        by_day[(tenant, day)].append(record)
    return [(tenant, day, np.array(rows, dtype=RECORD).tobytes()) for (tenant, day), rows in by_day.items()]


def _oracle(records: list[tuple[str, date, tuple[Any, ...]]], shape: Any) -> dict[str, dict[Any, Traffic]]:
    sets: dict[tuple[str, Any], dict[str, Any]] = {}
    for tenant, day, (visitor, session, channel, device, country, logged_in, steps, views) in records:
        if shape is None:
            key: Any = None
        elif isinstance(shape, Granularity):
            key = period_of(day, shape)
        elif shape is Dimension.LOGIN_STATUS:
            key = logged_in
        else:
            code = {Dimension.CHANNEL: channel, Dimension.DEVICE: device, Dimension.COUNTRY: country}[shape]
            key = LABELS.get(code)
        group = sets.setdefault((tenant, key), {"v": set(), "s": set(), "p": 0, "l": set(),
                                                "f": [set() for _ in FUNNEL_STEPS]})
        group["v"].add(visitor)
        group["s"].add(session)
        group["p"] += views
        if logged_in:
            group["l"].add(visitor)
        for i in range(len(FUNNEL_STEPS)):
            if steps & (1 << i):
                group["f"][i].add(session)
    out: dict[str, dict[Any, Traffic]] = defaultdict(dict)
    for (tenant, key), g in sets.items():
        out[tenant][key] = Traffic(len(g["v"]), len(g["s"]), g["p"], len(g["l"]), tuple(len(f) for f in g["f"]))
    return dict(out)


@pytest.mark.parametrize("top", [10_000, 1 << 45], ids=["small numbers", "numbers past 2**40"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_counts_equal_python_sets(shape: Any, top: int) -> None:
    rng = random.Random(f"{shape}-{top}")
    for _ in range(5):
        records = _records(rng, top)
        got = pack_counts.count(pack_counts.decoded(_packs(records)), shape, ALL_MEASURES, LABELS)
        assert got == _oracle(records, shape)


def test_only_the_measures_asked_for_are_counted() -> None:
    records = _records(random.Random(3), 10_000)
    got = pack_counts.count(pack_counts.decoded(_packs(records)), None, {TrafficMeasure.SESSIONS})
    want = _oracle(records, None)
    assert got and all(t.sessions == want[tenant][None].sessions and t.visitors == 0 and t.pageviews == 0
                       for tenant, by_key in got.items() for t in by_key.values())


def test_no_packs_count_nothing() -> None:
    assert BLOB // RECORD.itemsize > 1000
    assert pack_counts.count(pack_counts.decoded([]), None, ALL_MEASURES) == {}


async def test_a_cancelled_waiter_does_not_cancel_the_shared_read(tmp_path: Any) -> None:
    """A range's packs are read once per request and shared by every shape counted over them:
    one waiter cancelled (a failed sibling field) must not cancel the read the others await."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from core.calendar import DayRange
    from loaders.dataloaders import Loaders
    from loaders.store import create_schema

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/packs.db")
    try:
        await create_schema(engine)
        loaders = Loaders(engine)
        days = DayRange(date(2025, 1, 1), date(2025, 1, 31))
        first, second = loaders.packs._packs(["a"], days), loaders.packs._packs(["a"], days)
        first.cancel()
        assert (await second).tenants == [] and not second.cancelled()
    finally:
        await engine.dispose()


def _weeks(packs: list[tuple[str, date, bytes]]) -> list[tuple[str, int, str, bytes]]:
    """The packs as traffic_packs.weeks_query returns them: a row per tenant and 7-day block."""
    blocks: dict[tuple[str, int], list[tuple[date, bytes]]] = defaultdict(list)
    for tenant, day, blob in sorted(packs):
        blocks[(tenant, (day - pack_counts.EPOCH).days // 7)].append((day, blob))
    return [(tenant, len(parts), ",".join(f"{(day - pack_counts.EPOCH).days}:{len(blob)}" for day, blob in parts),
             b"".join(blob for _, blob in parts)) for (tenant, _), parts in blocks.items()]


@pytest.mark.parametrize("shape", [None, Granularity.WEEK, Dimension.CHANNEL], ids=str)
def test_weeks_decode_as_the_days_do(shape: Any) -> None:
    records = _records(random.Random(9), 10_000)
    days, weeks = _packs(records), _weeks(_packs(records))
    assert len(weeks) < len(days)
    want = pack_counts.count(pack_counts.decoded(days), shape, ALL_MEASURES, LABELS)
    assert pack_counts.count(pack_counts.decoded_weeks(weeks), shape, ALL_MEASURES, LABELS) == want == _oracle(records, shape)


def test_a_week_cut_short_is_noticed() -> None:
    weeks = _weeks(_packs(_records(random.Random(10), 10_000)))
    tenant, n, layout, blob = next(row for row in weeks if row[1] > 2)
    cut = [
        (tenant, n, layout, blob[:-1]),  # records cut short
        (tenant, n, layout[: layout.rindex(",")], blob),  # the layout cut between entries
        (tenant, n, layout[:-1] if not layout.endswith(":") else layout, blob),  # inside an entry
        (tenant, n, layout[: layout.rindex(":") + 1], blob),  # after a day, before its bytes
        (tenant, n, None, blob),  # too long for the packet: NULL
    ]
    for row in cut:
        assert pack_counts.decoded_weeks([*weeks, row]) is None, row[2][-20:] if row[2] else None
