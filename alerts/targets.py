"""Server-side request forgery guard: where a webhook may be delivered.

A URL is checked when a rule is created (scheme, and a literal IP address) and again at every
delivery, where the host is resolved and every address must be global: private, loopback,
link-local, multicast, reserved and other non-global ranges are refused unless configuration
allows them. The check happens inside the HTTP client's resolver, so the address connected to
is the address checked (a DNS answer that changes in between cannot slip through).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver


class RefusedTarget(ValueError):
    """The webhook URL or the address it resolves to may not be called."""


def check_url(url: str, *, allow_http: bool, allow_private: bool) -> str:
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise RefusedTarget(f"webhookUrl must be an {' or '.join(schemes)} URL")
    if not parts.hostname:
        raise RefusedTarget("webhookUrl has no host")
    if parts.username or parts.password:
        raise RefusedTarget("webhookUrl must not carry credentials")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return url  # a name: resolved and checked at delivery
    check_address(address, allow_private=allow_private)
    return url


def check_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_private: bool) -> None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global and not allow_private:
        raise RefusedTarget(f"{address} is not a public address (private, loopback, link-local or reserved)")
    if address.is_multicast or address.is_unspecified:
        raise RefusedTarget(f"{address} cannot receive a webhook")


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing names that resolve to any non-global address."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        for answer in answers:  # every address: a mixed answer is refused as a whole
            check_address(ipaddress.ip_address(answer["host"]), allow_private=self._allow_private)
        return answers

    async def close(self) -> None:
        await self._inner.close()


def connector_options(allow_private: bool) -> dict[str, Any]:
    return {"resolver": GuardedResolver(allow_private), "use_dns_cache": False}
