"""The whole-response cache: a repeated dashboard query answered without executing GraphQL.

Keyed by everything the answer may depend on: the caller's tenants in order (with each one's data
version), the fx version, tier, kind and scopes, the document's sha256 (so a persisted query's
hash finds what its full text stored), variables, operation name and the
UTC day. Never by the caller's identity, so users with the same scope share entries; never across
tenant scopes. Only queries whose answer had no error and read nothing outside the versions
(loaders/reads.py) are stored, and only their `data`: the cost block is rebuilt per request, and
the hit is metered and charged the same points as the execution it replaces (see gateway/view.py).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from graphql import FieldNode, GraphQLError, get_operation_ast, parse

from auth.principal import Principal
from cache.flights import Flights
from cache.replicas import ReplicaFlights
from cache.results import ResultCache
from loaders.cached import Ttl
from loaders.reads import Reads
from loaders.rollup_tables import FX_VERSION
from loaders.versions import DataVersions
from persisted.allowlist import digest, is_digest
from persisted.protocol import EXTENSION

# root fields whose answers depend on the tenants' data and the fx rates only (`viewer` shows the
# caller's own budget, so it is never cached)
CACHEABLE_ROOTS = frozenset({"tenant", "tenants", "currencies", "metricDefinitions", "__typename"})


@dataclass(frozen=True)
class Entry:
    data: bytes  # the JSON of the answer's `data`, encoded
    cost: int  # the points its execution was charged


@dataclass(frozen=True)
class Request:
    document: str  # the document's sha256: a full query and its persisted hash share entries
    variables: Mapping[str, Any] | None
    operation_name: str | None
    # key digests by scope: a remembered request (gateway/view.py) is asked again and again
    digests: dict[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @functools.cached_property
    def text(self) -> str:
        """The request's part of the key, canonical (the variables' key order does not matter)."""
        return json.dumps(
            [self.document, self.variables or {}, self.operation_name], sort_keys=True, separators=(",", ":"), default=str
        )


def document_of(query: object, extensions: Mapping[str, Any] | None) -> str | None:
    """The sha256 of the document a request runs: of the text sent, or the persisted query's
    hash (APQ). None: answered by execution only (other extensions such as `costDryRun`, a hash
    that does not match the text, no document)."""
    extensions = extensions or {}
    if set(extensions) - {EXTENSION}:
        return None
    persisted = extensions.get(EXTENSION)
    claimed = persisted.get("sha256Hash") if isinstance(persisted, dict) and persisted.get("version") == 1 else None
    if persisted is not None and not is_digest(claimed):
        return None
    if isinstance(query, str):
        own = digest(query)
        return own if claimed in (None, own) else None
    return claimed  # type: ignore[return-value]


DIGESTS = 64  # scopes remembered per request


@functools.lru_cache(maxsize=1024)
def _scope(kind: str, tier: str, scopes: frozenset[str], day: date) -> str:
    return json.dumps([kind, tier, sorted(scopes), day.isoformat()], separators=(",", ":"))


class ResponseCache:
    def __init__(
        self, results: ResultCache, versions: DataVersions, ttl: Ttl, flights: Flights,
        replicas: ReplicaFlights | None = None,
    ) -> None:
        self.results, self.versions, self.ttl = results, versions, ttl
        self.flights, self.replicas = flights, replicas

    async def once(self, key: str, execute: Callable[[], Awaitable[Entry | None]]) -> Entry | None:
        """Single flight of a miss: identical concurrent misses (within the process, and across
        replicas with Redis) execute once; the others get the entry it stored. None: nothing was
        stored (an error, or an answer that may not be), so each executes on its own."""
        async def listed() -> list[Entry | None]:
            # an identical request may have stored it between our miss and now
            return [await self.get(key) or await execute()]

        async def lead() -> list[Entry | None]:
            return await (listed() if self.replicas is None else self.replicas.run([key], listed))

        (entry,) = await self.flights.run(key, lead)
        return entry if isinstance(entry, Entry) else None

    async def key(self, principal: Principal, request: Request) -> str:
        """Read before execution: versions bumped meanwhile make this key unreachable, never stale."""
        ids = principal.tenant_ids
        versions = await self.versions.get_many([*ids, FX_VERSION])
        scope = _scope(principal.kind.value, principal.tier.value, principal.scopes, datetime.now(UTC).date())
        digest = request.digests.get(scope)
        if digest is None:
            if len(request.digests) >= DIGESTS:
                request.digests.clear()
            digest = request.digests[scope] = hashlib.sha256(f"{scope}\n{request.text}".encode()).hexdigest()
        tenants = ",".join(f"{tenant_id}@{versions.get(tenant_id, 0)}" for tenant_id in ids)
        return json.dumps(["response", tenants, f"fx@{versions.get(FX_VERSION, 0)}", digest], separators=(",", ":"))

    async def get(self, key: str) -> Entry | None:
        (entry,) = await self.results.get_many([key])
        return entry if isinstance(entry, Entry) else None

    async def put(self, key: str, data: Mapping[str, Any], cost: int, reads: Reads) -> Entry:
        ttl = self.ttl.open if reads.last_day is None else self.ttl.of(reads.last_day)
        entry = Entry(json.dumps(data, separators=(",", ":")).encode(), cost)
        await self.results.set_many([(key, entry)], ttl)
        return entry


def storable(principal: Principal, query: str, operation_name: str | None, reads: Reads) -> bool:
    """Whether an answer without errors may be stored: it read only the caller's tenants, all
    under their data versions, through root fields that hold nothing per caller."""
    if reads.unversioned or not reads.tenants <= set(principal.tenant_ids):
        return False
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLError:
        return False
    if operation is None or operation.operation.value != "query":
        return False
    # a fragment spread at the root is not looked into: not stored
    return all(
        isinstance(node, FieldNode) and node.name.value in CACHEABLE_ROOTS for node in operation.selection_set.selections
    )
