"""Batching DataLoader keys by everything but the tenant, so each group is one statement."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

V = TypeVar("V")
Fetch = Callable[[list[str], tuple[Hashable, ...]], Awaitable[dict[str, V]]]


async def by_tenant(keys: Sequence[tuple[Any, ...]], fetch: Fetch[V], empty: Callable[[], V]) -> list[V]:
    """Group keys (tenant id first) by everything but the tenant id; one fetch per group, all at once."""
    groups: dict[tuple[Hashable, ...], list[str]] = defaultdict(list)
    for key in keys:
        groups[key[1:]].append(key[0])
    # concurrently: a dashboard's totals and splits of one range wait on one shared read, then
    # count side by side (one after the other, the second split started after the first ended)
    fetched = await asyncio.gather(*(fetch(sorted(set(tenant_ids)), rest) for rest, tenant_ids in groups.items()))
    found: dict[tuple[Any, ...], V] = {}
    for (rest, tenant_ids), values in zip(groups.items(), fetched, strict=True):
        for tenant_id in tenant_ids:
            found[(tenant_id, *rest)] = values.get(tenant_id, empty())
    return [found[tuple(key)] for key in keys]
