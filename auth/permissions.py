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


class HasAdminScope(BasePermission):
    """Writes that configure a tenant need a credential with the `admin` scope."""

    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise Unauthenticated(IsAuthenticated.message)
        if not principal.has_scope("admin"):
            raise Forbidden(f"`{info.field_name}` needs a credential with the `admin` scope", requiredScope="admin")
        return True
