"""Strawberry permission classes: who may resolve a field."""

from __future__ import annotations

from typing import Any, Protocol

from strawberry.permission import BasePermission
from strawberry.types import Info

from auth.principal import Principal
from auth.tiers import TierTable
from core.errors import Forbidden, Unauthenticated
from core.vocabulary import Scope, Tier


class AuthContext(Protocol):
    """What the permission classes read of the request context (schema.context.Context)."""

    principal: Principal | None
    tiers: TierTable


# field metadata key: the lowest tier that may read the field (beside its "cost")
TIER = "tier"


def gate(tier: Tier) -> dict[str, Tier]:
    return {TIER: tier}


class IsAuthenticated(BasePermission):
    message = "authentication required: send `Authorization: Bearer <token>` or `X-API-Key: <key>`"
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info[AuthContext, None], **kwargs: Any) -> bool:
        return info.context.principal is not None


class TierGate(BasePermission):
    """The caller's tier must reach the field's declared minimum (or, with a TIERS_FILE that
    lists fields, the tier must list it); the refusal names the lowest tier that may."""

    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info[AuthContext, None], **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise Unauthenticated(IsAuthenticated.message)
        tiers = info.context.tiers
        field = info.field_name
        minimum = (info._field.metadata or {}).get(TIER, Tier.FREE)
        if tiers.allows(principal.tier, field, minimum):
            return True
        needed = tiers.lowest_with_field(field, minimum)
        if needed is None:
            raise Forbidden(f"`{field}` is not available on any tier")
        raise Forbidden(
            f"`{field}` requires the {needed.value} tier; this credential is {principal.tier.value}",
            requiredTier=needed.value,
        )


def gated_fields(schema: Any) -> set[str]:
    """Names of the fields of a Strawberry schema that carry the TierGate permission."""
    names = set()
    converter = schema.config.name_converter  # `funnel_by` is `funnelBy`, as info.field_name says
    for definition in schema.schema_converter.type_map.values():
        for field in getattr(definition.definition, "fields", []):
            if any(cls is TierGate for cls in getattr(field, "permission_classes", [])):
                names.add(converter.get_graphql_name(field))
    return names


class ScopeRequired(BasePermission):
    """The credential must carry `scope` (JWT `scope` claim, API key scopes); else FORBIDDEN."""

    scope = Scope.READ
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info[AuthContext, None], **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise Unauthenticated(IsAuthenticated.message)
        if principal.has_scope(self.scope):
            return True
        held = " ".join(sorted(principal.scopes)) or "none"
        raise Forbidden(
            f"`{info.field_name}` needs the `{self.scope.value}` scope; this credential has: {held}",
            requiredScope=self.scope.value,
        )


class IsAdmin(ScopeRequired):
    scope = Scope.ADMIN
