"""Tenant scoping: a principal reads only the tenants its credential names."""

from __future__ import annotations

from collections.abc import Sequence

from auth.principal import Principal
from core.errors import BadUserInput, Forbidden, shown


def readable_ids(principal: Principal, requested: Sequence[str] | None) -> list[str]:
    """The requested ids (default: all the principal's), refusing any outside its scope.

    The refusal is the same whether or not such a tenant exists, so it reveals nothing.
    """
    if requested is None:
        return list(principal.tenant_ids)
    outside = [tenant_id for tenant_id in requested if not principal.can_read(tenant_id)]
    if outside:
        raise Forbidden(f"not allowed to read tenant {shown(outside[0])}")
    return list(dict.fromkeys(requested))


def own_tenant_id(principal: Principal, requested: str | None) -> str:
    if requested is not None:
        return readable_ids(principal, [requested])[0]
    if not principal.tenant_ids:
        raise Forbidden("this credential reads no tenant")
    if len(principal.tenant_ids) != 1:
        raise BadUserInput("`id` is required: this credential reads several tenants", "id")
    return principal.tenant_ids[0]


def writable_tenant_id(principal: Principal, requested: str | None) -> str:
    """The tenant a write goes to: the requested one (only if the credential names it), else its only one."""
    if requested is not None:
        if not principal.can_read(requested):
            raise Forbidden(f"not allowed to write tenant {requested!r}")
        return requested
    if len(principal.tenant_ids) != 1:
        raise BadUserInput("`tenantId` is required: this credential names several tenants (or none)", "tenantId")
    return principal.tenant_ids[0]
