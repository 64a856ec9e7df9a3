"""Turning a credential into a principal: JWTs by signature, API keys by the key store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy.ext.asyncio import AsyncEngine

from auth.api_keys import ApiKeyAuthenticator
from auth.credentials import Credential, CredentialKind, find_credential
from auth.principal import Principal
from auth.tokens import TokenVerifier
from auth.verified import VerifiedTokens
from loaders.outage import DatabaseHealth


class Authenticator:
    """One per app: HTTP requests and WebSocket connections authenticate through it."""

    def __init__(
        self, verifier: TokenVerifier, api_keys: ApiKeyAuthenticator | None = None, token_ttl: float = 30.0
    ) -> None:
        self.verifier = verifier
        self.api_keys = api_keys or ApiKeyAuthenticator()
        self.tokens = VerifiedTokens(token_ttl)  # 0: every request checks its token's signature

    async def authenticate(
        self, engine: AsyncEngine, source: Mapping[str, object] | Iterable[tuple[str, object]],
        health: DatabaseHealth | None = None,
    ) -> Principal | None:
        """The principal of the headers or `connection_init` payload; None without a credential.

        Raises Unauthenticated for a bad credential, ServiceUnavailable when keys cannot be read.
        """
        credential = find_credential(source)
        return None if credential is None else await self.verify(engine, credential, health)

    async def verify(self, engine: AsyncEngine, credential: Credential, health: DatabaseHealth | None = None) -> Principal:
        if credential.kind is CredentialKind.API_KEY:
            return await self.api_keys.authenticate(engine, credential.secret, health)
        return self.tokens.verify(credential.secret, self.verifier.verify)

    async def drain(self) -> None:
        """Lets last-used writes finish (shutdown)."""
        await self.api_keys.recorder.drain()
