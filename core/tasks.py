"""Stopping the background tasks resources run (renewers, watchers, listeners, workers)."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any


async def cancelled(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` (if any) and wait until it has ended; its cancellation is not an error."""
    if task is None:
        return
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
