from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from auth.tiers import Tier


SCOPES = ("read", "ingest", "admin")
DEFAULT_SCOPES = frozenset({"read"})


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
    # what the credential may do (docs/auth.md): read, ingest, admin
    scopes: frozenset[str] = field(default=DEFAULT_SCOPES)
    # when the credential stops being valid (a token's exp, a key's expiry); live connections close then
    expires_at: datetime | None = None

    def can_read(self, tenant_id: str) -> bool:
        return tenant_id in self.tenant_ids

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
