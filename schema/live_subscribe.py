"""How a subscription starts: a slot within the principal's limit, then an inbox of its own
or a membership of the group of subscribers asking the same (live/groups.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from graphql import parse
from strawberry.types import Info

from auth.cost import CostAnalyzer
from auth.limits import principal_key
from core.errors import RateLimited, ServiceUnavailable
from live.groups import Member, Render
from live.inbox import Inbox
from live.outlet import Outlet
from schema.context import Context
from schema.live_render import group_key


@asynccontextmanager
async def subscription_slot(context: Context) -> AsyncIterator[None]:
    """One of the principal's concurrent subscriptions, held while the subscription runs."""
    live = context.live
    if live is None:
        raise ServiceUnavailable("subscriptions are served over WebSocket on /graphql")
    principal = context.principal
    limit = context.tiers[principal.tier].max_subscriptions
    lease = await live.slots.acquire(principal_key(principal), limit)
    if lease is None:
        raise RateLimited(
            f"this credential already holds {limit} subscriptions, the most the {principal.tier.value} tier "
            "allows at once; end one first",
            maxSubscriptions=limit,
        )
    try:
        yield
    finally:
        await live.slots.release(lease)


@asynccontextmanager
async def open_inbox(context: Context, tenant_id: str, coalesce: bool) -> AsyncIterator[Inbox]:
    """The tenant's events from now on, for a subscriber rendering its own (no outlet)."""
    async with subscription_slot(context):
        assert context.live is not None
        inbox = context.live.broker.subscribe(tenant_id, coalesce)
        try:
            yield inbox
        finally:
            inbox.close()


@asynccontextmanager
async def open_member(
    info: Info[Context, None], outlet: Outlet, field: str, tenant_id: str, render: Render, interval: float | None = None
) -> AsyncIterator[Member]:
    """A member of the group of subscribers asking the same: one rendering per event for all.
    Each push is owed to the principal's points budget at the subscription's own cost."""
    context = info.context
    async with subscription_slot(context):
        assert context.live is not None and context.principal is not None
        live, principal = context.live, context.principal
        member = live.groups.join(group_key(field, tenant_id, info, outlet), tenant_id, render, outlet, interval)
        if live.meter is not None:
            cost = CostAnalyzer(info.schema._schema).analyze(
                parse(outlet.query), outlet.operation_name, outlet.variables, principal
            ).cost
            member.on_push = partial(live.meter.owe, principal, cost, member)
        try:
            yield member
        finally:
            member.close()
