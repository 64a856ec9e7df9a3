from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
    # when the credential stops being valid (a token's exp, a key's expiry); live connections close then
    expires_at: datetime | None = None

    def can_read(self, tenant_id: str) -> bool:
        return tenant_id in self.tenant_ids
