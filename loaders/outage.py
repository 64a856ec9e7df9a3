"""Whether the database answers: one log line per outage, and requests refused while it lasts.

The first failure of the data path marks the database down and is logged once, with its
traceback. While it is down, each request first probes it (one `SELECT 1`, short timeout)
before anything is charged: a failed probe refuses the request with SERVICE_UNAVAILABLE,
uncharged and unlogged; a good one ends the outage (logged once too).
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from loaders.store import MissingTables, require_tables

log = logging.getLogger("gateway.database")
PROBE_SECONDS = 1.0
# the database could not be reached or could not answer: no fault of the request
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError, InterfaceError, DisconnectionError, PoolTimeout, ConnectionError, TimeoutError, OSError,
    MissingTables,
)


def is_outage(error: BaseException | None) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OUTAGE_ERRORS)


class DatabaseHealth:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.down_since: float | None = None
        self.failures = 0  # failed requests during the current outage

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def failed(self, error: BaseException) -> None:
        """A request failed on the database; logged only when it starts an outage."""
        self.failures += 1
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.error("database unavailable: %s: %s; refusing data requests until it answers again",
                      type(error).__name__, error, exc_info=error)

    async def answers(self) -> bool:
        """While down: one probe. Up: True without a round trip."""
        if self.down_since is None:
            return True
        try:
            # the tables too: a store without them fails every query although it answers
            await asyncio.wait_for(require_tables(self.engine), PROBE_SECONDS)
        except Exception as error:  # noqa: BLE001 - any failure means still down
            if not is_outage(error) and not isinstance(error, asyncio.TimeoutError):
                raise
            self.failures += 1
            return False
        log.warning("database answers again after %.0f s and %d refused requests",
                    time.monotonic() - self.down_since, self.failures)
        self.down_since, self.failures = None, 0
        return True
