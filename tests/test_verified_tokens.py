"""Verified JWTs are remembered briefly: never a failure, never past the token's expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auth.principal import Principal
from auth.tokens import TokenVerifier
from auth.verified import VerifiedTokens
from core.errors import Unauthenticated
from core.vocabulary import PrincipalKind, Tier
from tests.conftest import SECRET, make_token


def _counting(verifier: TokenVerifier, calls: list[str]):  # type: ignore[no-untyped-def]
    def verify(token: str) -> Principal:
        calls.append(token)
        return verifier.verify(token)

    return verify


def test_a_valid_token_is_checked_once_a_bad_one_every_time() -> None:
    verifier, calls = TokenVerifier(secret=SECRET, algorithms=("HS256",)), []
    tokens = VerifiedTokens(ttl=30)
    good = make_token(["a"])
    assert tokens.verify(good, _counting(verifier, calls)) == tokens.verify(good, _counting(verifier, calls))
    assert len(calls) == 1
    bad = make_token(["a"], secret="another-secret-that-is-long-enough-for-hs256-xx")
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            tokens.verify(bad, _counting(verifier, calls))
    assert len(calls) == 3


def test_never_remembered_past_expiry() -> None:
    calls: list[str] = []
    expired = Principal(PrincipalKind.USER, "s", Tier.FREE, ("a",), expires_at=datetime.now(UTC) - timedelta(seconds=1))

    def verify(token: str) -> Principal:
        calls.append(token)
        return expired

    tokens = VerifiedTokens(ttl=30)
    tokens.verify("t", verify)
    tokens.verify("t", verify)
    assert len(calls) == 2
    assert VerifiedTokens(ttl=0).verify("t", verify) is expired and len(calls) == 3
