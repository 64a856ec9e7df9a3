from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from auth.tiers import Tier


class PrincipalKind(str, Enum):
    USER = "USER"
    API_KEY = "API_KEY"


@dataclass(frozen=True)
class Principal:
    """Who is calling, as proven by a token or an API key."""

    kind: PrincipalKind
    subject: str
    tier: Tier
    tenant_ids: tuple[str, ...]
    # what the credential may do beyond reading: JWT `scope` claim (space-separated, RFC 8693)
    # or the API key's scopes, e.g. "ingest", "admin"
    scopes: frozenset[str] = frozenset()

    def can_read(self, tenant_id: str) -> bool:
        return tenant_id in self.tenant_ids

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
