"""Feeding the instruments: SQL statements from engine events, the pool, event-loop stalls."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from core.tasks import cancelled
from telemetry.metrics import LOOP_STALL_CPU_MAX, LOOP_STALL_MAX, POOL_IN_USE, SQL_SECONDS, SQL_STATEMENTS

_STARTED = "telemetry_started"


def instrument_engine(engine: AsyncEngine) -> None:
    """Count and time every statement; report the pool's checked-out connections."""
    sync = engine.sync_engine

    def before(conn: Any, _cursor: Any, _statement: Any, _params: Any, _context: Any, _many: Any) -> None:
        conn.info.setdefault(_STARTED, []).append(time.perf_counter())

    def after(conn: Any, _cursor: Any, _statement: Any, _params: Any, _context: Any, _many: Any) -> None:
        started = conn.info[_STARTED].pop()
        SQL_STATEMENTS.inc()
        SQL_SECONDS.observe(time.perf_counter() - started)

    event.listen(sync, "before_cursor_execute", before)
    event.listen(sync, "after_cursor_execute", after)
    pool = sync.pool
    if hasattr(pool, "checkedout"):
        POOL_IN_USE.set_function(pool.checkedout)


class LoopStallMonitor:
    """Wakes every `period` seconds; any lateness is time the loop spent on something else."""

    def __init__(self, period: float = 0.02) -> None:
        self.period = period
        self.max_stall = 0.0
        self.max_cpu_stall = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        await cancelled(self._task)

    async def _watch(self) -> None:
        while True:
            expected, cpu = time.perf_counter() + self.period, time.thread_time()
            await asyncio.sleep(self.period)
            stall = max(0.0, time.perf_counter() - expected)
            if stall > self.max_stall:
                self.max_stall = stall
                LOOP_STALL_MAX.set(stall)
            # the loop thread's CPU time in the period bounds how much of the stall it computed
            cpu_stall = min(stall, time.thread_time() - cpu)
            if cpu_stall > self.max_cpu_stall:
                self.max_cpu_stall = cpu_stall
                LOOP_STALL_CPU_MAX.set(cpu_stall)
