"""Building the token verifier (and the demo's HS256 secret) from settings."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_public_key

from auth.tokens import HMAC, TokenVerifier, load_jwks
from gateway.settings import MIN_SECRET_BYTES, Settings


def secret_file(settings: Settings) -> Path | None:
    store = settings.sqlite_path
    return None if store is None else store.with_name(store.name + ".jwt-secret")


def jwt_secret(settings: Settings) -> str | None:
    """JWT_SECRET, else the secret kept next to an SQLite store (created on first use).

    A deployment that configured a public key gets no HMAC secret it did not ask for.
    """
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    path = secret_file(settings)
    if path is None or settings.jwt_public_key_file or settings.jwt_jwks_file:
        return None
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    secret = path.read_text().strip()
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"{path} holds a secret shorter than {MIN_SECRET_BYTES} bytes: delete it to generate a new one")
    return secret


def build_verifier(settings: Settings) -> TokenVerifier:
    secret = jwt_secret(settings)
    public_key = _public_key(settings.jwt_public_key_file) if settings.jwt_public_key_file else None
    jwks = load_jwks(settings.jwt_jwks_file.read_text()) if settings.jwt_jwks_file else {}
    algorithms = settings.jwt_algorithms or _default_algorithms(secret, public_key, jwks)
    if not algorithms:
        raise ValueError("no way to verify tokens: set JWT_SECRET, JWT_PUBLIC_KEY_FILE or JWT_JWKS_FILE")
    if any(alg in HMAC for alg in algorithms) and secret is None:
        raise ValueError("JWT_ALGORITHMS names an HMAC algorithm but JWT_SECRET is not set")
    if any(alg not in HMAC for alg in algorithms) and public_key is None and not jwks:
        raise ValueError("JWT_ALGORITHMS names RS/ES algorithms but no JWT_PUBLIC_KEY_FILE or JWT_JWKS_FILE")
    return TokenVerifier(
        secret=secret,
        public_key=public_key,
        jwks=jwks,
        algorithms=tuple(algorithms),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        leeway=settings.jwt_leeway_seconds,
    )


def _default_algorithms(secret: str | None, public_key: str | None, jwks: dict) -> tuple[str, ...]:
    algorithms: tuple[str, ...] = ("HS256",) if secret else ()
    if public_key or jwks:
        algorithms += ("RS256", "ES256")
    return algorithms


def _public_key(path: Path) -> str:
    text = path.read_text()
    try:
        load_pem_public_key(text.encode())
    except ValueError as error:
        raise ValueError(f"JWT_PUBLIC_KEY_FILE {path} holds no PEM public key") from error
    return text
