"""The APQ protocol: which document a request runs, from `query` and `extensions.persistedQuery`.

- hash only: the stored document, or PERSISTED_QUERY_NOT_FOUND (the client then sends both);
- hash and document: the hash must be the document's sha256; the document runs and is stored
  once it has parsed and validated (so the store only ever holds valid documents);
- allow-list mode: only documents of the manifest run, sent by hash or in full; nothing is
  stored from requests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiocache.base import BaseCache

from core.errors import ApiError, BadUserInput, Forbidden, ServiceUnavailable
from persisted.allowlist import Allowlist, digest, is_digest

log = logging.getLogger("gateway.persisted")
EXTENSION = "persistedQuery"


class PersistedQueryNotFound(ApiError):
    code = "PERSISTED_QUERY_NOT_FOUND"

    def __init__(self) -> None:
        # Apollo clients match this exact message (older ones) or the code (newer ones)
        super().__init__("PersistedQueryNotFound")


@dataclass(frozen=True)
class Resolved:
    query: str | None
    register: str | None = None  # the hash to store the query under once it proved valid


class PersistedQueries:
    """Documents live in the app's shared cache (Redis when configured, else memory) under
    `<prefix>:<sha256>`, so every replica knows a document any of them registered."""

    def __init__(self, cache: BaseCache, prefix: str, ttl_seconds: int, allowlist: Allowlist | None = None) -> None:
        self.cache = cache
        self.prefix = prefix
        self.ttl = ttl_seconds
        self.allowlist = allowlist
        self._store_failed = False

    @staticmethod
    def requested(extensions: dict[str, Any] | None) -> bool:
        return bool(extensions) and EXTENSION in extensions  # type: ignore[operator]

    async def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> Resolved:
        persisted = (extensions or {}).get(EXTENSION)
        key = None if persisted is None else _key(persisted)
        if self.allowlist is not None:
            return Resolved(self._allowed(query, key))
        if key is None:
            return Resolved(query)
        if query is None:
            return Resolved(await self._lookup(key))
        if digest(query) != key:
            raise BadUserInput("provided sha256Hash does not match the query", "extensions.persistedQuery")
        return Resolved(query, register=key)

    async def register(self, key: str, query: str) -> None:
        """Best effort: a failed write only means the client sends the document once more."""
        try:
            await self.cache.set(f"{self.prefix}:{key}", query, ttl=self.ttl)
        except Exception as error:  # noqa: BLE001 - any store failure
            self._log_once("persisted query not stored: %r", error)
        else:
            self._store_failed = False

    async def _lookup(self, key: str) -> str:
        try:
            found = await self.cache.get(f"{self.prefix}:{key}")
        except Exception as error:  # noqa: BLE001 - any store failure
            self._log_once("persisted query store unreachable: %r", error)
            raise ServiceUnavailable("the persisted query store is unavailable; send the full query") from error
        self._store_failed = False
        if found is None:
            raise PersistedQueryNotFound()
        return found

    def _allowed(self, query: str | None, key: str | None) -> str | None:
        assert self.allowlist is not None
        if key is None and query is None:
            return None  # no document at all: the view's own "no query" error
        if key is not None and query is not None and digest(query) != key:
            raise BadUserInput("provided sha256Hash does not match the query", "extensions.persistedQuery")
        key = key or digest(query)  # type: ignore[arg-type]
        found = self.allowlist.get(key)
        if found is not None:
            return found
        if query is None:
            raise PersistedQueryNotFound()
        raise Forbidden("this gateway runs registered documents only (allow-list mode); "
                        "an operator registers documents with `analytics-gateway persisted-queries add`")

    def _log_once(self, message: str, error: Exception) -> None:
        # once per outage, not once per request
        if not self._store_failed:
            log.error(message, error)
        self._store_failed = True


def _key(persisted: object) -> str:
    if not isinstance(persisted, dict):
        raise BadUserInput("extensions.persistedQuery must be an object {version: 1, sha256Hash}", "extensions.persistedQuery")
    if persisted.get("version") != 1:
        raise BadUserInput("unsupported persistedQuery version: only version 1 is supported", "extensions.persistedQuery")
    key = persisted.get("sha256Hash")
    if not is_digest(key):
        raise BadUserInput("persistedQuery.sha256Hash must be 64 lowercase hex digits", "extensions.persistedQuery")
    return key  # type: ignore[return-value]
