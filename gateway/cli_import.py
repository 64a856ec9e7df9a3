"""`analytics-gateway import KIND FILE.csv`: history from CSV files, validated first, then written.

Pass 1 reads and validates the whole file (nothing is written if a row is bad, unless
`--skip-invalid`); pass 2 writes it in transactions of `--commit-rows` rows. Every row
carries its client id, so re-running a file, whole or after an interruption, adds nothing
twice: rows already stored count as duplicates and the import carries on where it stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from tqdm import tqdm

from gateway.database import create_engine
from gateway.settings import Settings
from ingest.bulk import Validated
from ingest.formats import BadBody, CsvReader
from ingest.kinds import Kind
from ingest.result import ErrorList, ItemError, Outcome
from ingest.service import Ingestor, UnknownTenant
from loaders.store import create_schema, first_tenant_id, tenant_count
from loaders.versions import DataVersions

READ_BYTES = 1 << 20


def register(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("import", help="import a CSV file of pageviews, bookings, surveys or fx rates")
    command.add_argument("kind", choices=[kind.value for kind in Kind])
    command.add_argument("file", type=Path, help="CSV with a header line of field names (docs/ingestion.md)")
    command.add_argument("--tenant", help="the tenant the rows belong to (default: the store's only tenant)")
    command.add_argument("--skip-invalid", action="store_true", help="write the valid rows even if some are bad")
    command.add_argument("--commit-rows", type=int, default=20_000, help="rows per transaction (default 20000)")
    command.add_argument("--quiet", action="store_true", help="no progress bars")


def run(settings: Settings, args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise ValueError(f"no such file: {args.file}")
    if args.commit_rows < 1:
        raise ValueError("--commit-rows must be positive")
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    kind = Kind(args.kind)
    engine = create_engine(settings)
    redis = None
    try:
        await create_schema(engine)
        tenant_id = await _tenant(engine, kind, args.tenant)
        policy = dataclasses.replace(settings.ingest_policy, chunk_rows=args.commit_rows, max_errors=10_000)
        # with REDIS_URL the servers' caches see the import at once (without it, at their next change check)
        redis = None if settings.redis_url is None else Redis.from_url(settings.redis_url)
        ingestor = Ingestor(engine, policy, versions=DataVersions(redis))
        batch = Validated(ingestor, kind, CsvReader(kind))
        with batch.spool:
            await batch.prepare(tenant_id)
            _validate(batch, args.file, args.quiet)
            _report(batch.errors.items, batch.errors.dropped)
            if batch.errors and not args.skip_invalid:
                print(f"{len(batch.errors)} invalid row(s): nothing written (--skip-invalid writes the others)",
                      file=sys.stderr)
                return 1
            total = await _write(ingestor, kind, tenant_id, batch, args)
        print(f"imported {args.file.name}: {total.inserted} inserted, {total.updated} updated, "
              f"{total.duplicates} duplicates, {len(batch.errors)} invalid skipped")
        return 1 if total.errors and not args.skip_invalid else 0
    except (BadBody, UnknownTenant) as error:
        raise ValueError(f"{args.file}: {error}") from None
    finally:
        await engine.dispose()
        if redis is not None:
            await redis.aclose()


async def _tenant(engine: AsyncEngine, kind: Kind, requested: str | None) -> str | None:
    if not kind.per_tenant:
        return None
    if requested is not None:
        return requested
    if await tenant_count(engine) != 1:
        raise ValueError("--tenant is required: the store does not have exactly one tenant")
    return await first_tenant_id(engine)


def _validate(batch: Validated, path: Path, quiet: bool) -> None:
    with path.open("rb") as source, tqdm(
        total=path.stat().st_size, unit="B", unit_scale=True, desc="validating", disable=quiet, file=sys.stderr
    ) as bar:
        while chunk := source.read(READ_BYTES):
            batch.feed(chunk)
            bar.update(len(chunk))
        batch.finish()


async def _write(ingestor: Ingestor, kind: Kind, tenant_id: str | None, batch: Validated,
                 args: argparse.Namespace) -> Outcome:
    """One transaction per chunk: an interrupted import keeps whole chunks, and re-running skips them."""
    total = Outcome()
    with tqdm(total=batch.spool.rows, unit="rows", unit_scale=True, desc="writing", disable=args.quiet,
              file=sys.stderr) as bar:
        for chunk in batch.spool.chunks():
            errors = ErrorList(ingestor.policy.max_errors)
            outcome = await ingestor.write(kind, tenant_id, lambda chunk=chunk: [chunk], errors, args.skip_invalid)
            total.inserted += outcome.inserted
            total.updated += outcome.updated
            total.duplicates += outcome.duplicates
            if outcome.errors:
                total.errors += outcome.errors
                _report(outcome.errors, outcome.unreported_errors)
                if not args.skip_invalid:
                    print("rows conflict with stored ones: this chunk was not written, earlier ones were; "
                          "fix the file and run the import again", file=sys.stderr)
                    break
            bar.update(len(chunk))
    return total


def _report(errors: list[ItemError], dropped: int) -> None:
    for error in errors:
        where = f" {error.field}:" if error.field else ""
        print(f"line {error.index}:{where} {error.message}", file=sys.stderr)
    if dropped:
        print(f"... and {dropped} more invalid row(s)", file=sys.stderr)
