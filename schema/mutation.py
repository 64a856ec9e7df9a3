"""The root Mutation: each concern contributes its mutations as a base class."""

from __future__ import annotations

import strawberry

from schema.alerts import AlertMutations


@strawberry.type(
    description="Writes: each needs a credential with the scope it names, for the tenant written. "
    "`tenantId` defaults to the caller's only tenant."
)
class Mutation(AlertMutations):
    pass
