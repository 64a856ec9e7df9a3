"""`analytics-gateway erase` and `analytics-gateway retention set|show|apply`."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.database import create_engine
from gateway.settings import Settings
from loaders.erasure import erase_customer, erase_visitor, tenant_exists
from loaders.rollups import refresh_all
from loaders.retention import apply_policy, policies, remove_policy, set_policy
from loaders.store import create_schema
from loaders.versions import DataVersions

Action = Callable[[AsyncEngine, argparse.Namespace], Awaitable[int]]
MAX_KEEP_DAYS = 36_600


def register(commands: argparse._SubParsersAction) -> None:
    erase = commands.add_parser("erase", help="remove one person's rows of a tenant everywhere, with a report")
    erase.add_argument("--tenant", required=True)
    who = erase.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer", help="bookings, their survey answers and their visitors' pageviews")
    who.add_argument("--visitor", help="pageviews; bookings keep their customer but lose the visitor link")
    retention = commands.add_parser("retention", help="per-tenant retention of raw pageviews and survey answers")
    actions = retention.add_subparsers(dest="retention_command", required=True)
    set_ = actions.add_parser("set", help="keep a tenant's raw pageviews and survey answers for DAYS days")
    set_.add_argument("--tenant", required=True)
    set_.add_argument("--days", required=True, type=_keep_days)
    clear = actions.add_parser("clear", help="remove a policy that has not dropped anything yet")
    clear.add_argument("--tenant", required=True)
    actions.add_parser("show", help="list the policies and their cutoffs")
    apply = actions.add_parser("apply", help="drop raw rows older than each policy allows")
    apply.add_argument("--dry-run", action="store_true", help="print the cutoffs only")
    apply.add_argument("--as-of", type=_past_day, default=None, metavar="DATE",
                       help="count the kept days back from DATE, not from today (UTC); never a later day")


def erase(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_with_engine(settings, _erase, args))


def retention(settings: Settings, args: argparse.Namespace) -> int:
    action = {"set": _set, "clear": _clear, "show": _show, "apply": _apply}[args.retention_command]
    return asyncio.run(_with_engine(settings, action, args))


async def _with_engine(settings: Settings, action: Action, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    args.settings = settings
    try:
        await create_schema(engine)  # a store from before these tables gets them (idempotent)
        return await action(engine, args)
    finally:
        await engine.dispose()


async def _rebuild_rollups(engine: AsyncEngine, tenant_ids: list[str]) -> None:
    """The rollups hold visitor and session ids and sums of the removed rows: rebuilt at once
    from what is left, from the retention cutoff on (the erasure itself removed the person's
    rollup rows of earlier days); servers without Redis see the new versions at their next
    change check."""
    for tenant_id in tenant_ids:
        await refresh_all(engine, tenant_id)


async def _invalidate(settings: Settings, tenant_ids: list[str]) -> str:
    """Bumps the tenants' data versions, so no cached answer computed before the change is
    served again. The versions live in Redis when the gateway has one (shared by every
    replica); without Redis they live in each server process, which a CLI cannot reach."""
    if not tenant_ids:
        return "nothing changed"
    if settings.redis_url is None:
        return "no REDIS_URL: restart the servers if they cache answers"
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        versions = DataVersions(redis)
        for tenant_id in tenant_ids:
            await versions.bump(tenant_id)
    finally:
        await redis.aclose()
    return "data versions bumped in Redis"


async def _erase(engine: AsyncEngine, args: argparse.Namespace) -> int:
    if not await tenant_exists(engine, args.tenant):
        raise ValueError(f"no tenant {args.tenant!r} in this store")
    if args.customer is not None:
        removed = await erase_customer(engine, args.tenant, args.customer)
        who = {"customer": args.customer}
    else:
        removed = await erase_visitor(engine, args.tenant, args.visitor)
        who = {"visitor": args.visitor}
    changed = [args.tenant] if any(removed.values()) else []
    await _rebuild_rollups(engine, changed)
    caches = await _invalidate(args.settings, changed)
    print(json.dumps({"tenant": args.tenant, **who, "removed": removed, "caches": caches}, indent=2))
    return 0


async def _set(engine: AsyncEngine, args: argparse.Namespace) -> int:
    if not await tenant_exists(engine, args.tenant):
        raise ValueError(f"no tenant {args.tenant!r} in this store")
    await set_policy(engine, args.tenant, args.days)
    print(f"{args.tenant}: raw pageviews and survey answers are kept {args.days} days (applied by `retention apply`)")
    return 0


async def _clear(engine: AsyncEngine, args: argparse.Namespace) -> int:
    if not await remove_policy(engine, args.tenant):
        raise ValueError(f"{args.tenant!r} has no policy, or one that already dropped rows (its cutoff stays)")
    print(f"{args.tenant}: policy removed")
    return 0


async def _show(engine: AsyncEngine, _args: argparse.Namespace) -> int:
    for policy in await policies(engine):
        cutoff = policy.cutoff.date().isoformat() if policy.cutoff else "-"
        print(f"{policy.tenant_id}  keep {policy.keep_days} days  raw rows kept from {cutoff}")
    return 0


async def _apply(engine: AsyncEngine, args: argparse.Namespace) -> int:
    today = args.as_of or datetime.now(UTC).date()
    report = {}
    for policy in await policies(engine):
        cutoff = datetime.combine(today - timedelta(days=policy.keep_days), time())
        if args.dry_run:
            report[policy.tenant_id] = {"cutoff": cutoff.date().isoformat()}
            continue
        removed = await apply_policy(engine, policy, cutoff)
        report[policy.tenant_id] = {"cutoff": cutoff.date().isoformat(), "removed": removed}
    changed = [tenant for tenant, entry in report.items() if any(entry.get("removed", {}).values())]
    if not args.dry_run:  # the rollups were made current and kept by apply_policy itself
        report["caches"] = await _invalidate(args.settings, changed)  # type: ignore[assignment]
    print(json.dumps(report, indent=2))
    return 0


def _past_day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from error
    if day > datetime.now(UTC).date():  # a later day would drop rows the policy still keeps
        raise argparse.ArgumentTypeError(f"{day} is after today (UTC)")
    return day


def _keep_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from error
    if not 1 <= days <= MAX_KEEP_DAYS:
        raise argparse.ArgumentTypeError(f"days must be between 1 and {MAX_KEEP_DAYS}")
    return days
