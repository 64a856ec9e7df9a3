"""`analytics-gateway`: serve, demo, init-db, seed, token, keys, import, persisted-queries, tenants, erase,
retention, rollup, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import re
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from auth.tokens import mint
from core.vocabulary import Scope, Tier
from gateway import cli_import, cli_keys, cli_persisted, cli_privacy, cli_tenants
from gateway.app import create_app
from gateway.database import with_engine
from gateway.first_query import banner, data_span
from gateway.server import SERVER_LIMITS, database_problem, port_free, quiet_refusals
from gateway.settings import Settings, describe
from gateway.verifier import jwt_secret
from loaders.store import MissingTables, create_schema, require_tables, tenant_count

DURATION = re.compile(r"(\d+)([smhd])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def duration(text: str) -> timedelta:
    match = DURATION.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30m, 1h or 7d")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="analytics-gateway", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the GraphQL API on DATABASE_URL (no seeding)")
    demo = commands.add_parser("demo", help="create and seed the store if it has no tenants, print a token, serve")
    _seed_options(demo)
    commands.add_parser("init-db", help="create the warehouse tables")
    _seed_options(commands.add_parser("seed", help="fill the store with synthetic data"))
    token = commands.add_parser("token", help="print a signed HS256 token")
    token.add_argument("--tenant", action="append", required=True, help="tenant id (repeatable)")
    # any case on the command line; the help lists FREE, PROFESSIONAL, ENTERPRISE
    token.add_argument("--tier", type=str.upper, choices=[tier.value for tier in Tier], default=Tier.PROFESSIONAL.value)
    token.add_argument("--ttl", type=duration, default=timedelta(hours=1))
    token.add_argument("--subject", default=None,
                       help="the token's `sub`; budgets are per issuer and subject (default: a new unique one)")
    token.add_argument("--scope", action="append", choices=[scope.value for scope in Scope], default=None,
                       help="read, ingest or admin (repeatable; default: read)")
    cli_keys.register(commands, duration)
    cli_import.register(commands)
    cli_persisted.register(commands)
    cli_tenants.register(commands)
    rollup = commands.add_parser("rollup", help="the exact rollups the API reads (docs/performance.md)")
    rollup_commands = rollup.add_subparsers(dest="rollup_command", required=True)
    refresh = rollup_commands.add_parser("refresh", help="rebuild rollups from the raw rows (after an ETL load)")
    refresh.add_argument("--tenant", default=None, help="only this tenant (default: every tenant with data)")
    refresh.add_argument("--since", type=date.fromisoformat, default=None,
                         help="only days from this UTC date on (YYYY-MM-DD; default: all days)")
    rollup_commands.add_parser("check", help="rebuild only what changed since the last refresh (appends, deletes)")
    cli_privacy.register(commands)
    export = commands.add_parser("export-schema", help="write the SDL")
    export.add_argument("path", nargs="?", type=Path, default=Path(__file__).parent.parent / "schema" / "schema.graphql")
    return root


def unique_subject(prefix: str) -> str:
    """Each minted token is its own user, so two of them never share a budget by accident."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def _seed_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--tenants", type=int, default=18)
    command.add_argument("--days", type=int, default=730)
    command.add_argument("--seed", type=int, default=42)
    command.add_argument("--end", type=date.fromisoformat, default=None, help="last day (default: yesterday, UTC)")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(describe(error), file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        return COMMANDS[args.command](settings, args)
    except (ValueError, MissingTables) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except DBAPIError as error:  # one line, not the driver's traceback
        print(f"error: cannot use the database: {database_problem(error)}", file=sys.stderr)
        return 2


def settle_heap() -> None:
    """What is alive now lives as long as the process: collected once, then frozen, so no full
    collection walks it during requests.

    The collector's thresholds stay CPython's: (100000, 50, 100) made a cold 50-tenant portfolio
    ~15 % faster but, under 100 clients of cached answers, stalled the loop 268 ms where the
    defaults stall 80 ms (bench/floor.py); (5000, 10, 10) gained 3-6 %, within this VM's noise."""
    gc.collect()
    gc.freeze()


async def _freeze_heap(_app: web.Application) -> None:
    """What start-up built (engine, pools, brokers, workers) also lives as long as the process;
    collected once here, then frozen, so no full collection walks it during requests."""
    gc.collect()
    gc.freeze()


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    # a store without tables would answer /ready and fail every query: say what to run instead
    asyncio.run(with_engine(settings, require_tables))
    port_free(settings.host, settings.port)
    app = create_app(settings)
    # everything alive now lives as long as the process: keep it out of every GC pass
    # (full collections over the imported libraries otherwise stall the loop 100+ ms)
    settle_heap()
    app.on_startup.append(_freeze_heap)  # after the cleanup contexts: their resources too
    print(f"GraphiQL: {base_url(settings)}/graphql   Dashboard: {base_url(settings)}/dashboard", flush=True)
    try:
        # SIGTERM: stop accepting, let requests under way finish (up to SHUTDOWN_TIMEOUT), exit 0
        quiet_refusals()
        web.run_app(app, host=settings.host, port=settings.port, print=None,
                    shutdown_timeout=settings.shutdown_timeout, **SERVER_LIMITS)
    except OSError as error:  # lost the port between the check and the bind
        raise ValueError(f"cannot listen on {settings.host}:{settings.port}: {error.strerror}") from error
    return 0


def _init_db(settings: Settings, _args: argparse.Namespace) -> int:
    asyncio.run(with_engine(settings, create_schema))
    print("tables ready")
    return 0


def _seed(settings: Settings, args: argparse.Namespace) -> int:
    from demo.seeding import seed_store

    async def run(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
        return await seed_store(engine, tenants=args.tenants, days=args.days, seed=args.seed, end=args.end)

    counts = asyncio.run(with_engine(settings, run))
    print("seeded " + ", ".join(f"{n} {table}" for table, n in counts.items()))
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    async def tenants_present(engine) -> int:  # type: ignore[no-untyped-def]
        await create_schema(engine)
        return await tenant_count(engine)

    port_free(settings.host, settings.port)
    secret = jwt_secret(settings)
    if secret is None:  # before seeding, which takes minutes on MySQL
        raise ValueError("JWT_SECRET is required to print a demo token (only an SQLite store keeps one of its own)")
    existing = asyncio.run(with_engine(settings, tenants_present))
    if existing:
        print(f"store has {existing} tenants: reusing it as it is")
    else:
        _seed(settings, args)
    first = asyncio.run(with_engine(settings, _first_tenant))
    token = mint(secret, subject=unique_subject("demo"), tier=Tier.PROFESSIONAL, tenants=[first], ttl=timedelta(hours=12),
                 issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    print(f"\nPROFESSIONAL token for tenant {first} (12 h), already in these links (after #, never sent to the server):")
    print(demo_links(settings, token), flush=True)
    span = asyncio.run(with_engine(settings, lambda engine: data_span(engine, first)))
    print(banner(span, token, f"{base_url(settings)}/graphql") + "\n", flush=True)
    return _serve(settings, args)


def base_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


def demo_links(settings: Settings, token: str) -> str:
    """GraphiQL and the dashboard with the token in the URL fragment, which browsers never send."""
    base = base_url(settings)
    return (f"GraphiQL:  {base}/graphql#token={token}\nDashboard: {base}/dashboard#token={token}\n"
            f'Header for other clients: {{"Authorization": "Bearer {token}"}}\n')


async def _first_tenant(engine) -> str:  # type: ignore[no-untyped-def]
    from loaders.store import first_tenant_id

    return await first_tenant_id(engine)


def _token(settings: Settings, args: argparse.Namespace) -> int:
    secret = jwt_secret(settings)
    if secret is None:
        raise ValueError("JWT_SECRET is not set and the store is not an SQLite file")
    subject = args.subject or unique_subject("cli")
    print(mint(secret, subject=subject, tier=Tier(args.tier), tenants=list(dict.fromkeys(args.tenant)), ttl=args.ttl,
               issuer=settings.jwt_issuer, audience=settings.jwt_audience, scopes=tuple(args.scope or ())))
    return 0


def _rollup(settings: Settings, args: argparse.Namespace) -> int:
    from loaders.rollups import check_changes, refresh_all

    async def run(engine) -> set[str]:  # type: ignore[no-untyped-def]
        await create_schema(engine)  # a store from before the rollups existed gets their tables
        if args.rollup_command == "check":
            return await check_changes(engine)
        return await refresh_all(engine, args.tenant, args.since)

    started = time.perf_counter()
    changed = asyncio.run(with_engine(settings, run))
    if settings.redis_url and changed:
        asyncio.run(_bump_versions(settings.redis_url, changed))
    tenants = changed - {""}
    print(f"rollups rebuilt for {len(tenants)} tenant(s) in {time.perf_counter() - started:.1f} s")
    return 0


async def _bump_versions(url: str, tenants: set[str]) -> None:
    """Replicas sharing this Redis drop their cached answers at once (without Redis, the
    servers' change check notices the new versions within ROLLUP_CHECK_SECONDS)."""
    from redis.asyncio import Redis

    from loaders.versions import DataVersions

    client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        versions = DataVersions(client)
        for tenant_id in sorted(tenants):
            await versions.bump(tenant_id)
    finally:
        await client.aclose()


def _export_schema(_settings: Settings, args: argparse.Namespace) -> int:
    from schema.export import sdl

    args.path.write_text(sdl())
    print(f"wrote {args.path}")
    return 0


COMMANDS = {
    "serve": _serve,
    "demo": _demo,
    "init-db": _init_db,
    "seed": _seed,
    "token": _token,
    "keys": cli_keys.run,
    "import": cli_import.run,
    "persisted-queries": cli_persisted.run,
    "tenants": cli_tenants.run,
    "rollup": _rollup,
    "erase": cli_privacy.erase,
    "retention": cli_privacy.retention,
    "export-schema": _export_schema,
}

if __name__ == "__main__":
    sys.exit(main())
