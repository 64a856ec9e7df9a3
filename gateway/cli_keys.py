"""`analytics-gateway keys create|list|revoke`: partner API keys in the store of DATABASE_URL."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from auth.api_keys import KEY_PATTERN, create_key, utcnow
from core.vocabulary import Tier
from gateway.database import with_engine
from gateway.settings import Settings
from loaders.api_key_store import (
    ApiKeyRecord,
    find_by_prefix,
    list_keys,
    revoke_key,
    unknown_tenant_ids,
)
from loaders.store import create_schema

Action = Callable[[AsyncEngine, argparse.Namespace], Awaitable[int]]


def register(commands: argparse._SubParsersAction, duration: Callable[[str], timedelta]) -> None:
    """Adds `keys` to the CLI's subcommands (`duration` parses `--expires`, as `token --ttl`)."""
    keys = commands.add_parser("keys", help="create, list or revoke partner API keys (X-API-Key)")
    actions = keys.add_subparsers(dest="keys_command", required=True)
    create = actions.add_parser("create", help="create a key and print it, once, alone on stdout")
    create.add_argument("--tenant", action="append", required=True, type=_tenant_id, help="tenant id (repeatable)")
    create.add_argument("--tier", required=True, type=str.upper, choices=[tier.value for tier in Tier])
    create.add_argument("--name", required=True, type=_name, help="who the key is for; shown as viewer.subject")
    create.add_argument("--expires", type=duration, default=None, help="lifetime such as 90d (default: never)")
    actions.add_parser("list", help="list keys: prefix, name, tier, tenants, times (never the keys)")
    revoke = actions.add_parser("revoke", help="revoke a key; effective on its next request")
    revoke.add_argument("prefix", help="the key's prefix, agw_<id>, as `keys list` shows it")


def run(settings: Settings, args: argparse.Namespace) -> int:
    action = {"create": _create, "list": _list, "revoke": _revoke}[args.keys_command]
    return asyncio.run(with_engine(settings, _on_current_schema, action, args))


async def _on_current_schema(engine: AsyncEngine, action: Action, args: argparse.Namespace) -> int:
    # every subcommand works on a store that predates the api_keys table (idempotent)
    await create_schema(engine)
    return await action(engine, args)


async def _create(engine: AsyncEngine, args: argparse.Namespace) -> int:
    tenants = list(dict.fromkeys(args.tenant))
    key, record = await create_key(engine, name=args.name, tier=Tier(args.tier), tenant_ids=tenants,
                                   expires_in=args.expires)
    for tenant_id in await unknown_tenant_ids(engine, tenants):
        print(f"warning: no tenant {tenant_id!r} in this store (yet)", file=sys.stderr)
    expires = _time(record.expires_at) if record.expires_at else "never"
    print(f"created {record.prefix} ({record.name}, {record.tier}, expires {expires}); "
          "the key is shown only once, store it now", file=sys.stderr)
    print(key, flush=True)  # alone on stdout: KEY=$(analytics-gateway keys create ...)
    return 0


async def _list(engine: AsyncEngine, _args: argparse.Namespace) -> int:
    records = await list_keys(engine)
    if not records:
        print("no API keys")
        return 0
    print(table(records, utcnow()))
    return 0


async def _revoke(engine: AsyncEngine, args: argparse.Namespace) -> int:
    # a pasted full key is reduced to its prefix; anything else is taken as a prefix
    match = KEY_PATTERN.fullmatch(args.prefix.strip())
    prefix = match[1] if match else args.prefix.strip()
    if await revoke_key(engine, prefix, utcnow()):
        print(f"revoked {prefix}")
        return 0
    record = await find_by_prefix(engine, prefix)
    if record is not None and record.revoked_at is not None:
        print(f"{prefix} was already revoked at {_time(record.revoked_at)}")
        return 0
    print(f"error: no API key with prefix {prefix!r}", file=sys.stderr)
    return 1


COLUMNS = ("PREFIX", "NAME", "TIER", "TENANTS", "STATUS", "CREATED (UTC)", "LAST USED", "EXPIRES", "REVOKED")


def table(records: Sequence[ApiKeyRecord], now: datetime) -> str:
    """Aligned columns; by construction nothing here can print a key or its hash."""
    rows = [COLUMNS] + [
        (r.prefix, r.name, r.tier, ",".join(r.tenant_ids), _status(r, now), _time(r.created_at),
         _time(r.last_used_at), _time(r.expires_at), _time(r.revoked_at))
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def _status(record: ApiKeyRecord, now: datetime) -> str:
    if record.revoked_at is not None:
        return "revoked"
    if record.expires_at is not None and record.expires_at <= now:
        return "expired"
    return "active"


def _time(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _tenant_id(text: str) -> str:
    if not text.strip() or len(text) > 64:
        raise argparse.ArgumentTypeError("a tenant id is 1 to 64 characters")
    return text.strip()


def _name(text: str) -> str:
    if not text.strip() or len(text) > 200:
        raise argparse.ArgumentTypeError("a name is 1 to 200 characters")
    return text.strip()
