"""Helpers shared by the benchmarks: stores, GraphQL through the real schema, timing, SQL counts.

Nothing here asserts a time: every benchmark prints figures and ratios measured in one run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiocache import SimpleMemoryCache  # noqa: E402

from demo.seeding import seed_store  # noqa: E402
from gateway.database import create_engine  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from auth.principal import Principal, PrincipalKind  # noqa: E402
from auth.tiers import Tier  # noqa: E402
from gateway.context import build_context  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from loaders.service import DataService  # noqa: E402
from schema.root import build_schema  # noqa: E402

SCHEMA = build_schema(limits=None)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@dataclass
class Counter:
    """SQL statements sent through an engine while `active`."""

    statements: int = 0
    texts: list[str] = field(default_factory=list)

    def attach(self, engine: AsyncEngine) -> None:
        def seen(*args: Any) -> None:
            self.statements += 1

        event.listen(engine.sync_engine, "before_cursor_execute", seen)


def service(engine: AsyncEngine, *, cache: bool, rollups: bool = True) -> DataService:
    return DataService(engine, cache=SimpleMemoryCache(), rollups=rollups, caching=cache)


async def execute(data: DataService, settings: Settings, query: str, variables: dict[str, Any],
                  tenant_ids: tuple[str, ...]) -> dict[str, Any]:
    principal = Principal(PrincipalKind.USER, "bench", Tier.ENTERPRISE, tenant_ids)
    context = build_context(engine=data.engine, settings=settings, principal=principal, data=data)
    result = await SCHEMA.execute(query, variable_values=variables, context_value=context)
    if result.errors:
        raise RuntimeError(result.errors)
    return result.data  # type: ignore[return-value]


@dataclass
class Sample:
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)

    def line(self) -> str:
        return (f"p50 {statistics.median(self.wall_ms):8.2f} ms  cpu {statistics.median(self.cpu_ms):7.2f} ms  "
                f"SQL {statistics.median(self.statements):5.1f}/request")

    @property
    def p50(self) -> float:
        return statistics.median(self.wall_ms)


async def measure(counter: Counter, action: Callable[[int], Awaitable[Any]], repeat: int) -> Sample:
    sample = Sample()
    for i in range(repeat):
        before = counter.statements
        cpu, wall = time.process_time(), time.perf_counter()
        await action(i)
        sample.wall_ms.append((time.perf_counter() - wall) * 1000)
        sample.cpu_ms.append((time.process_time() - cpu) * 1000)
        sample.statements.append(counter.statements - before)
    return sample


async def seeded_store(folder: str, tenants: int, days: int, end: Any, progress: bool = True) -> str:
    """A demo store seeded in `folder` (SQLite): its DATABASE_URL."""
    url = f"sqlite+aiosqlite:///{folder}/bench.db"
    engine = create_engine(Settings(database_url=url))
    await seed_store(engine, tenants=tenants, days=days, end=end, progress=progress)
    await engine.dispose()
    return url


def store_parser(tenants: int, end_help: str) -> argparse.ArgumentParser:
    """The options of a bench on a store: an existing one (--db), or a demo store it seeds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="an existing store's DATABASE_URL (default: seed a temporary SQLite store)")
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 2, 28), help=end_help)
    parser.add_argument("--tenants", type=int, default=tenants)
    parser.add_argument("--days", type=int, default=400)
    return parser


async def on_store(args: argparse.Namespace, run: Callable[[str, argparse.Namespace, Path], Awaitable[None]]) -> None:
    """`run(store URL, args, a scratch folder)` on --db, or on a demo store seeded for it."""
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or await seeded_store(tmp, args.tenants, args.days, args.end)
        await run(db, args, Path(tmp))
