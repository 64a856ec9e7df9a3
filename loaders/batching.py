"""Batching DataLoader keys by everything but the tenant, so each group is one statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

V = TypeVar("V")
Fetch = Callable[[list[str], tuple[Hashable, ...]], Awaitable[dict[str, V]]]


async def by_tenant(keys: Sequence[tuple[Any, ...]], fetch: Fetch[V], empty: Callable[[], V]) -> list[V]:
    """Group keys (tenant id first) by everything but the tenant id; one fetch per group."""
    groups: dict[tuple[Hashable, ...], list[str]] = defaultdict(list)
    for key in keys:
        groups[key[1:]].append(key[0])
    found: dict[tuple[Any, ...], V] = {}
    for rest, tenant_ids in groups.items():
        values = await fetch(sorted(set(tenant_ids)), rest)
        for tenant_id in tenant_ids:
            found[(tenant_id, *rest)] = values.get(tenant_id, empty())
    return [found[tuple(key)] for key in keys]
