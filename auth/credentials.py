"""One way to find and verify the caller's credential, in HTTP headers or a WebSocket
`connection_init` payload (`{"Authorization": "Bearer ..."}` or `{"X-API-Key": "..."}`)."""

from __future__ import annotations

from collections.abc import Mapping

from multidict import CIMultiDict, MultiMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.api_keys import ApiKeyAuthenticator
from auth.principal import Principal
from auth.tokens import TokenVerifier
from gateway.errors import Unauthenticated

AUTHORIZATION = "Authorization"
API_KEY_HEADER = "X-API-Key"


def bearer_token(headers: MultiMapping[str]) -> str | None:
    header = headers.get(AUTHORIZATION)
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization header must be `Bearer <token>`")
    return token.strip()


def api_key(headers: MultiMapping[str]) -> str | None:
    keys = headers.getall(API_KEY_HEADER, [])
    if len(keys) > 1:
        raise Unauthenticated(f"send one credential: {API_KEY_HEADER} appears {len(keys)} times")
    return keys[0] if keys else None


def payload_headers(payload: Mapping[str, object] | None) -> CIMultiDict[str]:
    """The credential entries of a connection_init payload, as headers (names in any case)."""
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in (payload or {}).items():
        if name.lower() in (AUTHORIZATION.lower(), API_KEY_HEADER.lower()):
            if not isinstance(value, str):
                raise Unauthenticated(f"`{name}` in connection_init must be a string")
            headers.add(name, value)
    return headers


async def authenticate(
    headers: MultiMapping[str], engine: AsyncEngine, verifier: TokenVerifier, api_keys: ApiKeyAuthenticator
) -> Principal | None:
    """The caller from `Authorization: Bearer <jwt>` or `X-API-Key: <key>`, None without either.

    Sending both is refused rather than picking one: a client that sends two credentials
    is confused, and whichever we preferred could silently read with the wrong scope.
    """
    if AUTHORIZATION in headers and API_KEY_HEADER in headers:
        raise Unauthenticated(f"send one credential: either `Authorization: Bearer <token>` or `{API_KEY_HEADER}`")
    key = api_key(headers)
    if key is not None:
        return await api_keys.authenticate(engine, key)
    token = bearer_token(headers)
    return None if token is None else verifier.verify(token)
