"""Budgets against real Redis: shared exactly across instances, degraded (not failed) without it."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import replace

import pytest

from auth.limits import RateLimits, redis_storage
from auth.principal import Principal
from auth.tiers import TierTable, default_tiers
from core.vocabulary import PrincipalKind, Tier
from tests.services import redis_url

BUDGET = 300


def _tiers(points: int = BUDGET, requests: int = 10_000) -> TierTable:
    base = default_tiers()
    pro = replace(base[Tier.PROFESSIONAL], points_per_minute=points, requests_per_minute=requests)
    return TierTable({**base.policies, Tier.PROFESSIONAL: pro})


def _principal() -> Principal:
    return Principal(PrincipalKind.USER, f"limits-{uuid.uuid4().hex}", Tier.PROFESSIONAL, ("t",))


async def test_two_instances_on_one_redis_admit_exactly_the_budget() -> None:
    url = redis_url()
    # a generous timeout: on a loaded machine 120 concurrent first connections can exceed 0.5 s,
    # and a fallback to per-process windows is a different test
    first, second = RateLimits(_tiers(), redis_storage(url, timeout=5.0)), RateLimits(_tiers(), redis_storage(url, timeout=5.0))
    principal = _principal()
    cost = 7
    hits = [limits.charge_points(principal, cost) for _ in range(60) for limits in (first, second)]
    budgets = await asyncio.gather(*hits)
    admitted = sum(budget.admitted for budget in budgets)
    assert admitted == BUDGET // cost
    assert first.fallbacks == second.fallbacks == 0
    left = await first.points_left(principal)
    assert left.remaining == BUDGET - admitted * cost


async def test_memory_only_instances_do_not_share(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # the contrast that makes the Redis test meaningful: without shared storage each process
    # admits its own budget
    first, second = RateLimits(_tiers()), RateLimits(_tiers())
    principal = _principal()
    budgets = await asyncio.gather(*[limits.charge_points(principal, 100) for limits in (first, second) for _ in range(3)])
    assert sum(budget.admitted for budget in budgets) == 6


async def test_redis_down_degrades_to_process_limits(caplog: pytest.LogCaptureFixture) -> None:
    limits = RateLimits(_tiers(points=50), redis_storage("redis://127.0.0.1:1/0"))
    principal = _principal()
    with caplog.at_level(logging.WARNING, logger="gateway.limits"):
        budgets = [await limits.charge_points(principal, 20) for _ in range(3)]
    assert [budget.admitted for budget in budgets] == [True, True, False]
    assert limits.fallbacks == 3
    assert "using per-process limits" in caplog.text


async def test_request_count_and_ip_attempts() -> None:
    limits = RateLimits(_tiers(requests=3), ip_per_minute=2)
    principal = _principal()
    assert [(await limits.count_request(principal)) is None for _ in range(4)] == [True, True, True, False]
    ip = f"203.0.113.{uuid.uuid4().int % 250}"
    assert [(await limits.attempt(ip)).admitted for _ in range(3)] == [True, True, False]


async def test_budget_comes_back_when_the_window_moves_on() -> None:
    limits = RateLimits(_tiers(points=10), window_seconds=1)
    principal = _principal()
    assert (await limits.charge_points(principal, 10)).admitted
    refused = await limits.charge_points(principal, 1)
    assert not refused.admitted and refused.remaining == 0
    await asyncio.sleep(max(0.0, refused.reset_at.timestamp() - time.time()) + 1.1)
    again = await limits.charge_points(principal, 10)
    assert again.admitted and again.remaining == 0
