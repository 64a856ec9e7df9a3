"""One credential path for HTTP headers and WebSocket connection_init payloads; scopes."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from auth.credentials import CredentialKind, find_credential
from auth.tokens import TokenVerifier, principal_from_claims
from core.errors import Unauthenticated
from core.vocabulary import Scope
from tests.conftest import SECRET, make_token


@pytest.mark.parametrize(
    "source",
    [
        CIMultiDict({"authorization": "Bearer abc"}),  # HTTP headers, any case
        {"Authorization": "Bearer abc"},  # a connection_init payload
        {"authorization": "bearer   abc "},
    ],
)
def test_bearer_from_headers_or_payload(source: object) -> None:
    credential = find_credential(source)  # type: ignore[arg-type]
    assert credential is not None and credential.kind is CredentialKind.BEARER and credential.secret == "abc"


def test_api_key_from_payload() -> None:
    credential = find_credential({"X-API-Key": "agw_x"})
    assert credential is not None and credential.kind is CredentialKind.API_KEY and credential.secret == "agw_x"


@pytest.mark.parametrize(
    "source",
    [
        CIMultiDict([("Authorization", "Bearer a"), ("Authorization", "Bearer b")]),
        CIMultiDict([("X-API-Key", "a"), ("x-api-key", "b")]),
        {"Authorization": "Bearer a", "X-API-Key": "b"},
        {"Authorization": "Basic abc"},
        {"Authorization": 42},
    ],
)
def test_confusing_credentials_are_refused(source: object) -> None:
    with pytest.raises(Unauthenticated):
        find_credential(source)  # type: ignore[arg-type]


def test_no_credential() -> None:
    assert find_credential({}) is None
    assert find_credential(CIMultiDict({"Accept": "application/json"})) is None


def _claims(**extra: object) -> dict[str, object]:
    return {"sub": "u", "tier": "FREE", "tenants": ["t1"], **extra}


def test_scopes_default_to_read() -> None:
    assert principal_from_claims(_claims()).scopes == {"read"}


def test_scope_claim_is_space_separated_and_unknown_words_grant_nothing() -> None:
    principal = principal_from_claims(_claims(scope="read ingest launch-missiles"))
    assert principal.scopes == {"read", "ingest"}
    assert principal.has_scope(Scope.INGEST) and not principal.has_scope(Scope.ADMIN)


def test_scope_claim_must_be_a_string() -> None:
    with pytest.raises(Unauthenticated):
        principal_from_claims(_claims(scope=["admin"]))


def test_signed_token_carries_its_scopes() -> None:
    verifier = TokenVerifier(secret=SECRET, algorithms=("HS256",))
    principal = verifier.verify(make_token(["t1"], scope="ingest"))
    assert principal.scopes == {"ingest"}
