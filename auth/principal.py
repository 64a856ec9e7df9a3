"""Who is calling, as proven by a token or an API key."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.vocabulary import DEFAULT_SCOPES, PrincipalKind, Scope, Tier


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    subject: str
    tier: Tier
    tenant_ids: tuple[str, ...]
    # RFC 9068 scope words; `read` when the credential states none
    scopes: frozenset[str] = field(default=DEFAULT_SCOPES)
    # when the credential stops being valid (a token's exp, a key's expiry); live connections close then
    expires_at: datetime | None = None
    # the credential itself, never a display name: an API key's prefix (`agw_<id>`) or a
    # digest of a JWT's issuer and subject. Budgets are keyed by it. Principals built in
    # code (tests, benchmarks) may leave it empty and are then keyed by their subject.
    identity: str = ""

    @property
    def budget_key(self) -> str:
        return f"{self.kind.value}:{self.identity or 'subject:' + self.subject}"

    def can_read(self, tenant_id: str) -> bool:
        return tenant_id in self.tenant_ids

    def has_scope(self, scope: Scope) -> bool:
        return scope.value in self.scopes
