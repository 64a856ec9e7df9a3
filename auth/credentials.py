"""Finding the credential of a request: one code path for HTTP headers and WebSocket payloads.

A GraphQL-over-WebSocket client sends its credentials in the `connection_init` payload as
`{"Authorization": "Bearer ..."}` or `{"X-API-Key": "..."}`; an HTTP client sends the same
as headers. Both arrive here as (name, value) pairs, so both obey the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from multidict import CIMultiDict, CIMultiDictProxy

from core.errors import Unauthenticated

AUTHORIZATION = "Authorization"
API_KEY_HEADER = "X-API-Key"


class CredentialKind(str, Enum):
    BEARER = "bearer"
    API_KEY = "api_key"


@dataclass(frozen=True)
class Credential:
    kind: CredentialKind
    secret: str


def pairs_of(source: Mapping[str, object] | Iterable[tuple[str, object]]) -> list[tuple[str, object]]:
    """(name, value) pairs of headers (duplicates kept) or of a JSON payload."""
    items = source.items() if isinstance(source, Mapping) else source
    return [(str(name), value) for name, value in items]


def find_credential(source: Mapping[str, object] | Iterable[tuple[str, object]]) -> Credential | None:
    """The one credential among the pairs, None without any; sending two is refused.

    A client that sends two credentials (both kinds, or one twice) is confused, and whichever
    we preferred could silently read with the wrong scope.
    """
    if isinstance(source, CIMultiDictProxy | CIMultiDict):  # HTTP headers: looked up, not walked
        bearer, key = source.getall(AUTHORIZATION, []), source.getall(API_KEY_HEADER, [])
    else:
        found: dict[str, list[object]] = {AUTHORIZATION.lower(): [], API_KEY_HEADER.lower(): []}
        for name, value in pairs_of(source):
            if name.lower() in found:
                found[name.lower()].append(value)
        bearer, key = found[AUTHORIZATION.lower()], found[API_KEY_HEADER.lower()]
    if len(bearer) + len(key) > 1:
        raise Unauthenticated(f"send one credential: either `{AUTHORIZATION}: Bearer <token>` or `{API_KEY_HEADER}`, once")
    if key:
        return Credential(CredentialKind.API_KEY, _text(key[0], API_KEY_HEADER))
    if bearer:
        return Credential(CredentialKind.BEARER, _bearer_token(_text(bearer[0], AUTHORIZATION)))
    return None


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise Unauthenticated(f"`{name}` must be a string")
    return value


def _bearer_token(header: str) -> str:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(f"{AUTHORIZATION} must be `Bearer <token>`")
    return token.strip()
