"""Per-tenant data versions: a number that grows with every committed write of the tenant.

Anything derived from a tenant's rows (cached results, fitted forecasts, rollups) can key on
`version(tenant_id)` and never serve numbers from before a write. Fx rates change the money
figures of every tenant, so they bump a global epoch that is part of every tenant's version.
Counts are per process; other replicas learn of writes through the write listeners.
"""

from __future__ import annotations

from collections import defaultdict


class DataVersions:
    def __init__(self) -> None:
        self._tenants: defaultdict[str, int] = defaultdict(int)
        self._epoch = 0

    def version(self, tenant_id: str) -> int:
        return self._tenants[tenant_id] + self._epoch

    def bump(self, tenant_id: str | None) -> int:
        """After a commit; None bumps every tenant (fx rates). Returns the new version."""
        if tenant_id is None:
            self._epoch += 1
            return self._epoch
        self._tenants[tenant_id] += 1
        return self.version(tenant_id)
