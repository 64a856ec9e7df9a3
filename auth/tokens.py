"""Verifying and minting JWTs: claims sub, tier, tenants, exp (required), iat, nbf, iss/aud."""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from jwt import PyJWK, PyJWKSet

from auth.principal import Principal
from core.errors import Unauthenticated, shown
from core.vocabulary import DEFAULT_SCOPES, PrincipalKind, Scope, Tier

HMAC = ("HS256", "HS384", "HS512")
# An absurdly large bearer token is an attack, not a credential. Kept below aiohttp's limit of
# 8190 bytes per header field ("Bearer " + token), which the server enforces with a bare 400
# before the app runs: above it the client would never get the documented 401.
MAX_TOKEN_BYTES = 8000
# which JWK key type each asymmetric algorithm family needs
KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}


@dataclass(frozen=True)
class TokenVerifier:
    """Accepts only the configured algorithms, each with its own kind of key."""

    secret: str | None = None
    public_key: str | None = None
    jwks: dict[str, PyJWK] = field(default_factory=dict)
    algorithms: tuple[str, ...] = ()
    issuer: str | None = None
    audience: str | None = None
    leeway: int = 30

    def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_BYTES:
            raise Unauthenticated("token is too large")
        try:
            header = jwt.get_unverified_header(token)
            alg = header.get("alg")
            if alg not in self.algorithms:
                raise Unauthenticated(f"token algorithm {shown(alg)} is not accepted")
            claims = jwt.decode(
                token,
                key=self._key_for(alg, header.get("kid")),
                algorithms=[alg],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                # the time claims are checked below, with their types (PyJWT takes "exp": "123")
                options={"require": ["exp", "sub"], "verify_aud": self.audience is not None,
                         "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(f"invalid token: {error}") from error
        except jwt.PyJWTError as error:  # InvalidKeyError: e.g. an ES256 token against an RSA key
            raise Unauthenticated("invalid token: the key does not fit its algorithm") from error
        check_times(claims, time.time(), self.leeway)
        return principal_from_claims(claims)

    def _key_for(self, alg: str, kid: str | None) -> Any:
        if alg in HMAC:
            if self.secret is None:
                raise Unauthenticated("HMAC tokens are not accepted")
            return self.secret
        if self.jwks:
            if kid is not None and kid in self.jwks:
                jwk = self.jwks[kid]
            elif kid is None and len(self.jwks) == 1:
                jwk = next(iter(self.jwks.values()))
            else:
                raise Unauthenticated("token key id is unknown")
            if jwk.key_type != KEY_TYPES.get(alg[:2]):
                raise Unauthenticated(f"token key {shown(kid)} does not fit algorithm {shown(alg)}")
            return jwk.key
        if self.public_key is None:
            raise Unauthenticated("asymmetric tokens are not accepted")
        return self.public_key


TIME_CLAIMS = ("exp", "nbf", "iat")


def check_times(claims: dict[str, Any], now: float, leeway: int) -> None:
    """RFC 7519: exp, nbf and iat are NumericDates, JSON numbers of seconds since the epoch."""
    for name in TIME_CLAIMS:
        value = claims.get(name)
        if name in claims and (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)):
            raise Unauthenticated(f"claim '{name}' must be a number of seconds since the epoch")
    if claims["exp"] <= now - leeway:
        raise Unauthenticated("token has expired")
    if claims.get("nbf", now) > now + leeway:
        raise Unauthenticated("token is not valid yet (nbf)")
    if claims.get("iat", now) > now + leeway:
        raise Unauthenticated("token is issued in the future (iat)")


def identity_of(claims: dict[str, Any]) -> str:
    """Issuer and subject together name the user (two issuers may reuse a subject)."""
    issuer = claims.get("iss") if isinstance(claims.get("iss"), str) else ""
    return hashlib.sha256(f"{issuer}\0{claims['sub']}".encode()).hexdigest()[:32]


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    subject = claims.get("sub")
    tenants = claims.get("tenants")
    if not isinstance(subject, str) or not subject:
        raise Unauthenticated("claim 'sub' must be a non-empty string")
    try:
        tier = Tier(claims.get("tier"))
    except ValueError as error:
        raise Unauthenticated("claim 'tier' must be FREE, PROFESSIONAL or ENTERPRISE") from error
    if not isinstance(tenants, list) or not all(isinstance(t, str) and t for t in tenants):
        raise Unauthenticated("claim 'tenants' must be an array of tenant ids")
    expires_at = datetime.fromtimestamp(claims["exp"], UTC) if isinstance(claims.get("exp"), (int, float)) else None
    scopes = scopes_of(claims.get("scope"))
    return Principal(
        PrincipalKind.USER, subject, tier, tuple(dict.fromkeys(tenants)), scopes, expires_at=expires_at,
        identity=identity_of(claims),
    )


def scopes_of(claim: object) -> frozenset[str]:
    """RFC 9068: space-separated words; `read` when absent. Words we do not know grant nothing."""
    if claim is None:
        return DEFAULT_SCOPES
    if not isinstance(claim, str):
        raise Unauthenticated("claim 'scope' must be a space-separated string")
    words = frozenset(claim.split()) & {scope.value for scope in Scope}
    return words or DEFAULT_SCOPES


def load_jwks(text: str) -> dict[str, PyJWK]:
    keys = PyJWKSet.from_dict(json.loads(text)).keys
    return {key.key_id or f"key-{index}": key for index, key in enumerate(keys)}


def mint(
    secret: str,
    *,
    subject: str,
    tier: Tier,
    tenants: list[str],
    ttl: timedelta,
    scopes: tuple[str, ...] = (),
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "tier": tier.value,
        "tenants": tenants,
        "iat": now,
        "exp": now + ttl,
    }
    if scopes:
        claims["scope"] = " ".join(scopes)
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")
