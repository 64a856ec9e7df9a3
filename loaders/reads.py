"""What one request read: which tenants, up to which day, and whether anything unversioned.

The whole-response cache (gateway/responses.py) stores an answer only when everything it read is
covered by the per-tenant data versions (and the fx version) of the caller's own tenants: fact
loads are; alert rules and events, benchmark peers (other tenants' data) and forecast
fingerprints are not, and mark the request `unversioned`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date


@dataclass
class Reads:
    tenants: set[str] = field(default_factory=set)
    last_day: date | None = None  # the latest day of any range read: the answer's data age
    unversioned: bool = False

    def touch(self, tenant_ids: Iterable[str], last_day: date | None = None) -> None:
        self.tenants.update(tenant_ids)
        if last_day is not None and (self.last_day is None or last_day > self.last_day):
            self.last_day = last_day

    def outside_versions(self) -> None:
        self.unversioned = True
