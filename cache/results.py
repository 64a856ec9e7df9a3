"""A result cache that never fails a request: a broken backend is bypassed, counted, logged once.

After a failure the backend is left alone for `retry_seconds`, then tried again; the first
success logs the recovery. Values are never None (None means "not cached").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from aiocache.base import BaseCache

from telemetry.metrics import CACHE_ERRORS, CACHE_HITS, CACHE_MISSES

log = logging.getLogger(__name__)


class ResultCache:
    def __init__(self, backend: BaseCache, layer: str, retry_seconds: float = 5.0) -> None:
        self.backend = backend
        self.layer = layer
        self.retry_seconds = retry_seconds
        self._down_until = 0.0
        self._failing = False
        # the layer's counters, resolved once (a labels() lookup per call shows in a cached answer's time)
        self._hits, self._misses = CACHE_HITS.labels(layer), CACHE_MISSES.labels(layer)
        self._errors = CACHE_ERRORS.labels(layer)

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    async def get_many(self, keys: Sequence[str]) -> list[Any]:
        if not keys:
            return []
        if not self.available:
            self._errors.inc()
            self._misses.inc(len(keys))
            return [None] * len(keys)
        try:
            values = list(await self.backend.multi_get(list(keys)))
        except Exception as error:  # noqa: BLE001 - any backend failure means: serve without it
            self._failed(error)
            self._misses.inc(len(keys))
            return [None] * len(keys)
        self._recovered()
        hits = sum(value is not None for value in values)
        self._hits.inc(hits)
        self._misses.inc(len(keys) - hits)
        return values

    async def set_many(self, pairs: Sequence[tuple[str, Any]], ttl: float) -> None:
        if not pairs or not self.available:
            return
        try:
            await self.backend.multi_set(list(pairs), ttl=ttl)
        except Exception as error:  # noqa: BLE001
            self._failed(error)
            return
        self._recovered()

    async def close(self) -> None:
        try:
            await self.backend.close()
        except Exception:  # noqa: BLE001 - closing a dead connection may fail too
            pass

    def _failed(self, error: BaseException) -> None:
        self._errors.inc()
        self._down_until = time.monotonic() + self.retry_seconds
        if not self._failing:
            self._failing = True
            log.warning("result cache (%s) unavailable, serving from the database: %r", self.layer, error)

    def _recovered(self) -> None:
        if self._failing:
            self._failing = False
            log.warning("result cache (%s) available again", self.layer)
