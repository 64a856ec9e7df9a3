"""The root Mutation: each concern contributes its mutations as a base class."""

from __future__ import annotations

import strawberry

from schema.alerts import AlertMutations
from schema.ingest import IngestMutations


@strawberry.type(
    description="Writes: each needs a credential with the scope it names, for the tenant written. "
    "`tenantId` defaults to the caller's only tenant. The record* mutations take at most the configured "
    "batch size and are all-or-nothing unless `partial: true`, which stores exactly the valid items."
)
class Mutation(IngestMutations, AlertMutations):
    pass
