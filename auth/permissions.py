"""Strawberry permission classes: who may resolve a field."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from gateway.errors import Forbidden, Unauthenticated


class IsAuthenticated(BasePermission):
    message = "authentication required: send `Authorization: Bearer <token>` or `X-API-Key: <key>`"
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal is not None


class TierAllowsField(BasePermission):
    """The caller's tier must list this field; the refusal names the lowest tier that does."""

    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise Unauthenticated(IsAuthenticated.message)
        tiers = info.context.tiers
        field = info.field_name
        if field in tiers[principal.tier].fields:
            return True
        needed = tiers.lowest_with_field(field)
        if needed is None:
            raise Forbidden(f"`{field}` is not available on any tier")
        raise Forbidden(
            f"`{field}` requires the {needed.value} tier; this credential is {principal.tier.value}",
            requiredTier=needed.value,
        )


class ScopeRequired(BasePermission):
    """The credential must carry `scope` (JWT `scope` claim, API key scopes); else FORBIDDEN."""

    scope = "read"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise Unauthenticated(IsAuthenticated.message)
        if principal.has_scope(self.scope):
            return True
        held = " ".join(sorted(principal.scopes)) or "none"
        raise Forbidden(
            f"`{info.field_name}` needs the `{self.scope}` scope; this credential has: {held}",
            requiredScope=self.scope,
        )


class CanRead(ScopeRequired):
    scope = "read"


class CanIngest(ScopeRequired):
    scope = "ingest"


class IsAdmin(ScopeRequired):
    scope = "admin"
