"""Bearer JWT authentication through the real HTTP app.

Every rejected credential must give HTTP 401 with a GraphQL error coded UNAUTHENTICATED;
tokens minted by hand from RFC 7519/7515 (hmac/hashlib/base64 only, or `cryptography`
for RS256/ES256) must be accepted, so any standard JWT library can talk to the gateway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import SECRET, make_token

VIEWER = "{ viewer { subject tier tenantIds } }"
TENANT = "t01-hotel-limmat-zurich"


# --- building tokens by hand (RFC 7515 compact serialisation) -------------------------------


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def segment(obj: object) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {"sub": "hand-made", "tier": "FREE", "tenants": [TENANT], "iat": now, "exp": now + 600}
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def hs256(payload: dict[str, Any], secret: str | bytes = SECRET, header: dict[str, Any] | None = None) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    signing_input = f"{segment(header or {'alg': 'HS256', 'typ': 'JWT'})}.{segment(payload)}"
    signature = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def rs256(payload: dict[str, Any], key: rsa.RSAPrivateKey, kid: str | None = None) -> str:
    header: dict[str, Any] = {"alg": "RS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = f"{segment(header)}.{segment(payload)}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def es256(payload: dict[str, Any], key: ec.EllipticCurvePrivateKey, kid: str | None = None) -> str:
    header: dict[str, Any] = {"alg": "ES256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = f"{segment(header)}.{segment(payload)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    # JWS wants the raw r || s, each 32 bytes for P-256 (RFC 7518 section 3.4), not DER
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


# --- keys and apps -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def app_client(aiohttp_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Builds the real app with custom settings over a scratch SQLite store (auth needs no data)."""

    async def build(**settings: Any):  # type: ignore[no-untyped-def]
        settings.setdefault("database_url", f"sqlite+aiosqlite:///{tmp_path}/store.db")
        return await aiohttp_client(create_app(Settings(**settings)))

    return build


@pytest.fixture
def rsa_pem_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    path = tmp_path / "rsa-public.pem"
    path.write_bytes(public_pem(rsa_key))
    return path


@pytest.fixture
def ec_pem_file(tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey) -> Path:
    path = tmp_path / "ec-public.pem"
    path.write_bytes(public_pem(ec_key))
    return path


@pytest.fixture
def jwks_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> Path:
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    rsa_jwk.update(kid="rsa-1", use="sig", alg="RS256")
    ec_jwk.update(kid="ec-1", use="sig", alg="ES256")
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [rsa_jwk, ec_jwk]}))
    return path


async def post(client, token: str | None = None, query: str = VIEWER, authorization: str | None = None):  # type: ignore[no-untyped-def]
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    return response, await response.json()


async def assert_accepted(client, token: str, subject: str = "hand-made") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response, body = await post(client, token)
    assert response.status == 200, body
    assert "errors" not in body, body
    assert body["data"]["viewer"]["subject"] == subject
    return body["data"]["viewer"]


async def assert_unauthenticated(client, token: str | None = None, **kwargs: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response, body = await post(client, token, **kwargs)
    assert response.status == 401, body
    assert body["errors"], body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body
    assert not body.get("data"), body
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), dict(response.headers)
    return body


# --- HS256 with JWT_SECRET (the `client` fixture) ------------------------------------------


async def test_hand_built_hs256_token_is_accepted(client) -> None:  # type: ignore[no-untyped-def]
    viewer = await assert_accepted(client, hs256(claims(tier="ENTERPRISE", tenants=[TENANT, "t02"])))
    assert viewer == {"subject": "hand-made", "tier": "ENTERPRISE", "tenantIds": [TENANT, "t02"]}


async def test_pyjwt_token_is_accepted(client) -> None:  # type: ignore[no-untyped-def]
    viewer = await assert_accepted(client, make_token([TENANT], "PROFESSIONAL"), subject="tester")
    assert viewer["tier"] == "PROFESSIONAL"
    assert viewer["tenantIds"] == [TENANT]


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_bearer_scheme_is_case_insensitive(client, scheme: str) -> None:  # type: ignore[no-untyped-def]
    response, body = await post(client, authorization=f"{scheme} {hs256(claims())}")
    assert response.status == 200, body
    assert body["data"]["viewer"]["subject"] == "hand-made"


async def test_nbf_in_the_past_and_iat_are_accepted(client) -> None:  # type: ignore[no-untyped-def]
    now = int(time.time())
    await assert_accepted(client, hs256(claims(nbf=now - 60, iat=now - 60)))


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("", id="empty-header"),
        pytest.param("Bearer", id="scheme-only"),
        pytest.param("Bearer    ", id="blank-token"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic-scheme"),
        pytest.param("Token abc.def.ghi", id="other-scheme"),
        pytest.param("Bearer not-a-jwt", id="one-segment"),
        pytest.param("Bearer abc.def", id="two-segments"),
        pytest.param("Bearer !!!.@@@.###", id="not-base64"),
        pytest.param("Bearer e30.e30.e30", id="empty-json-objects"),
        pytest.param("Bearer W10.e30.", id="header-is-array"),
    ],
)
async def test_malformed_authorization_is_401(client, authorization: str) -> None:  # type: ignore[no-untyped-def]
    await assert_unauthenticated(client, authorization=authorization)


async def test_missing_token_on_data_field_is_401(client) -> None:  # type: ignore[no-untyped-def]
    body = await assert_unauthenticated(client, None)
    # refused as a whole before execution: a request error, without data or a path
    assert "data" not in body and "path" not in body["errors"][0]



def _bad_tokens() -> list[Any]:
    now = int(time.time())
    return [
        pytest.param(lambda: hs256(claims(exp=now - 3600, iat=now - 7200)), id="expired"),
        pytest.param(lambda: hs256(claims(nbf=now + 3600)), id="nbf-in-future"),
        pytest.param(lambda: hs256(claims(exp=None)), id="missing-exp"),
        pytest.param(lambda: hs256(claims(exp="tomorrow")), id="exp-not-a-number"),
        pytest.param(lambda: hs256(claims(iat="yesterday")), id="iat-not-a-number"),
        pytest.param(lambda: hs256(claims(nbf="later")), id="nbf-not-a-number"),
        # RFC 7519: NumericDate is a JSON number; PyJWT alone would take a numeric string
        pytest.param(lambda: hs256(claims(exp=str(now + 3600))), id="exp-a-numeric-string"),
        pytest.param(lambda: hs256(claims(iat=str(now))), id="iat-a-numeric-string"),
        pytest.param(lambda: hs256(claims(exp=True)), id="exp-a-boolean"),
        pytest.param(lambda: hs256(claims(iat=now + 3600)), id="iat-in-future"),
        pytest.param(lambda: hs256(claims(sub=None)), id="missing-sub"),
        pytest.param(lambda: hs256(claims(sub=42)), id="sub-not-a-string"),
        pytest.param(lambda: hs256(claims(tier=None)), id="missing-tier"),
        pytest.param(lambda: hs256(claims(tier="GOLD")), id="unknown-tier"),
        pytest.param(lambda: hs256(claims(tier="enterprise")), id="lowercase-tier"),
        pytest.param(lambda: hs256(claims(tenants=None)), id="missing-tenants"),
        pytest.param(lambda: hs256(claims(tenants=TENANT)), id="tenants-a-string"),
        pytest.param(lambda: hs256(claims(tenants=[1, 2])), id="tenants-not-strings"),
        pytest.param(lambda: hs256(claims(tenants=[""])), id="tenants-empty-id"),
        pytest.param(lambda: hs256(claims(), secret="a-different-secret-of-the-same-sort-0123456789"), id="bad-signature"),
        pytest.param(lambda: hs256(claims()).rsplit(".", 1)[0] + ".", id="signature-stripped"),
        pytest.param(lambda: hs256(claims(), header={"alg": "HS384", "typ": "JWT"}), id="header-lies-about-alg"),
        pytest.param(
            lambda: jwt.encode(claims(), SECRET, algorithm="HS384"), id="unconfigured-hs384"
        ),
        pytest.param(lambda: f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims())}.", id="alg-none"),
        pytest.param(lambda: f"{segment({'alg': 'None'})}.{segment(claims())}.", id="alg-None"),
        pytest.param(lambda: f"{segment({'typ': 'JWT'})}.{segment(claims())}.", id="alg-missing"),
    ]


@pytest.mark.parametrize("build", _bad_tokens())
async def test_rejected_token_is_401(client, build) -> None:  # type: ignore[no-untyped-def]
    await assert_unauthenticated(client, build())


async def test_tampered_payload_is_401(client) -> None:  # type: ignore[no-untyped-def]
    token = hs256(claims(tier="FREE", tenants=[TENANT]))
    await assert_accepted(client, token)  # the untouched token is fine ...
    header, _payload, signature = token.split(".")
    forged = f"{header}.{segment(claims(tier='ENTERPRISE', tenants=[TENANT, 't02']))}.{signature}"
    await assert_unauthenticated(client, forged)  # ... a new payload under the old signature is not


async def test_tampered_signature_is_401(client) -> None:  # type: ignore[no-untyped-def]
    token = hs256(claims())
    head, _, signature = token.rpartition(".")
    flipped = ("B" if signature[0] != "B" else "C") + signature[1:]
    await assert_unauthenticated(client, f"{head}.{flipped}")


async def test_oversized_but_validly_signed_token_is_401(client) -> None:  # type: ignore[no-untyped-def]
    # big enough to be absurd for a credential, small enough that the HTTP server still parses
    # the header (aiohttp refuses header fields over 8190 bytes before the app sees them)
    padding_claim = "x" * 5900
    token = hs256(claims(padding=padding_claim))
    assert 8000 < len(token) < 8190 - len("Bearer ")
    body = await assert_unauthenticated(client, token)
    assert "large" in body["errors"][0]["message"]


async def test_expired_token_within_leeway_is_accepted_but_not_beyond(client) -> None:  # type: ignore[no-untyped-def]
    now = int(time.time())
    await assert_accepted(client, hs256(claims(exp=now - 5)))  # default leeway is 30 s
    await assert_unauthenticated(client, hs256(claims(exp=now - 120)))


async def test_rsa_public_key_as_hmac_secret_is_rejected_when_only_rs256_is_configured(
    app_client, rsa_pem_file: Path
) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_public_key_file=rsa_pem_file, jwt_algorithms="RS256")
    await assert_unauthenticated(client, hs256(claims(), secret=rsa_pem_file.read_bytes()))


async def test_rsa_public_key_as_hmac_secret_is_rejected_when_hs256_is_also_configured(
    app_client, rsa_pem_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_secret=SECRET, jwt_public_key_file=rsa_pem_file)
    await assert_accepted(client, hs256(claims()))  # both kinds really are configured
    await assert_accepted(client, rs256(claims(), rsa_key))
    await assert_unauthenticated(client, hs256(claims(), secret=rsa_pem_file.read_bytes()))
    await assert_unauthenticated(client, hs256(claims(), secret=rsa_pem_file.read_text().strip().encode()))


# --- iss / aud when configured -------------------------------------------------------------

ISSUER = "https://login.example.com/"
AUDIENCE = "analytics-gateway"


@pytest.fixture
async def iss_aud_client(app_client):  # type: ignore[no-untyped-def]
    return await app_client(jwt_secret=SECRET, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)


async def test_matching_issuer_and_audience_are_accepted(iss_aud_client) -> None:  # type: ignore[no-untyped-def]
    await assert_accepted(iss_aud_client, hs256(claims(iss=ISSUER, aud=AUDIENCE)))
    await assert_accepted(iss_aud_client, hs256(claims(iss=ISSUER, aud=["someone-else", AUDIENCE])))


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"iss": "https://evil.example.com/", "aud": AUDIENCE}, id="wrong-iss"),
        pytest.param({"aud": AUDIENCE}, id="missing-iss"),
        pytest.param({"iss": ISSUER, "aud": "another-service"}, id="wrong-aud"),
        pytest.param({"iss": ISSUER, "aud": ["another-service"]}, id="wrong-aud-list"),
        pytest.param({"iss": ISSUER}, id="missing-aud"),
    ],
)
async def test_wrong_or_missing_issuer_or_audience_is_401(iss_aud_client, extra: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    await assert_unauthenticated(iss_aud_client, hs256(claims(**extra)))


async def test_iss_and_aud_are_ignored_when_not_configured(client) -> None:  # type: ignore[no-untyped-def]
    await assert_accepted(client, hs256(claims(iss="https://anyone.example/", aud="whatever")))


# --- RS256 / ES256 with a PEM public key ---------------------------------------------------


async def test_rs256_signed_with_cryptography_is_accepted_with_pem(
    app_client, rsa_pem_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_public_key_file=rsa_pem_file, jwt_algorithms="RS256")
    await assert_accepted(client, rs256(claims(), rsa_key))
    # and the same through PyJWT, a second independent implementation
    await assert_accepted(client, jwt.encode(claims(sub="pyjwt"), rsa_key, algorithm="RS256"), subject="pyjwt")


async def test_es256_signed_with_cryptography_is_accepted_with_pem(
    app_client, ec_pem_file: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_public_key_file=ec_pem_file, jwt_algorithms="ES256")
    await assert_accepted(client, es256(claims(), ec_key))


async def test_rs256_signed_by_another_key_is_401(
    app_client, rsa_pem_file: Path, other_rsa_key: rsa.RSAPrivateKey
) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_public_key_file=rsa_pem_file, jwt_algorithms="RS256")
    await assert_unauthenticated(client, rs256(claims(), other_rsa_key))


async def test_rs256_tampered_payload_is_401(app_client, rsa_pem_file: Path, rsa_key: rsa.RSAPrivateKey) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_public_key_file=rsa_pem_file, jwt_algorithms="RS256")
    header, _payload, signature = rs256(claims(tier="FREE"), rsa_key).split(".")
    await assert_unauthenticated(client, f"{header}.{segment(claims(tier='ENTERPRISE'))}.{signature}")


async def test_rs256_is_refused_when_only_hs256_is_configured(client, rsa_key: rsa.RSAPrivateKey) -> None:  # type: ignore[no-untyped-def]
    await assert_unauthenticated(client, rs256(claims(), rsa_key))


async def test_hs256_is_refused_when_only_rs256_is_configured(app_client, rsa_pem_file: Path) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_public_key_file=rsa_pem_file, jwt_algorithms="RS256", jwt_secret=SECRET)
    await assert_unauthenticated(client, hs256(claims()))


async def test_es256_token_against_an_rsa_key_is_401_not_500(
    app_client, rsa_pem_file: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:  # type: ignore[no-untyped-def]
    # both algorithms accepted (the default for a public key), but the key is RSA
    client = await app_client(jwt_public_key_file=rsa_pem_file)
    await assert_unauthenticated(client, es256(claims(), ec_key))


async def test_rs256_token_against_an_ec_key_is_401_not_500(
    app_client, ec_pem_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_public_key_file=ec_pem_file)
    await assert_unauthenticated(client, rs256(claims(), rsa_key))


async def test_expired_rs256_token_is_401(app_client, rsa_pem_file: Path, rsa_key: rsa.RSAPrivateKey) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_public_key_file=rsa_pem_file, jwt_algorithms="RS256")
    now = int(time.time())
    await assert_unauthenticated(client, rs256(claims(exp=now - 3600, iat=now - 7200), rsa_key))


# --- RS256 / ES256 with a JWKS file --------------------------------------------------------


async def test_jwks_accepts_each_key_by_kid(
    app_client, jwks_file: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_jwks_file=jwks_file, jwt_algorithms="RS256,ES256")
    await assert_accepted(client, rs256(claims(), rsa_key, kid="rsa-1"))
    await assert_accepted(client, es256(claims(), ec_key, kid="ec-1"))


@pytest.mark.parametrize("kid", [pytest.param("nope", id="unknown-kid"), pytest.param(None, id="no-kid-two-keys")])
async def test_jwks_unknown_or_missing_kid_is_401(
    app_client, jwks_file: Path, rsa_key: rsa.RSAPrivateKey, kid: str | None
) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_jwks_file=jwks_file, jwt_algorithms="RS256,ES256")
    await assert_unauthenticated(client, rs256(claims(), rsa_key, kid=kid))


async def test_jwks_known_kid_but_wrong_signer_is_401(
    app_client, jwks_file: Path, other_rsa_key: rsa.RSAPrivateKey
) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_jwks_file=jwks_file, jwt_algorithms="RS256,ES256")
    await assert_unauthenticated(client, rs256(claims(), other_rsa_key, kid="rsa-1"))


async def test_jwks_kid_of_the_other_key_type_is_401_not_500(
    app_client, jwks_file: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_jwks_file=jwks_file, jwt_algorithms="RS256,ES256")
    await assert_unauthenticated(client, es256(claims(), ec_key, kid="rsa-1"))


async def test_jwks_single_key_without_kid_is_used(
    app_client, tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:  # type: ignore[no-untyped-def]
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    client = await app_client(jwt_jwks_file=path, jwt_algorithms="RS256")
    await assert_accepted(client, rs256(claims(), rsa_key))


async def test_jwks_public_key_as_hmac_secret_is_401(
    app_client, jwks_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:  # type: ignore[no-untyped-def]
    client = await app_client(jwt_jwks_file=jwks_file, jwt_algorithms="RS256,ES256")
    await assert_unauthenticated(client, hs256(claims(), secret=public_pem(rsa_key)))
    await assert_unauthenticated(client, hs256(claims(), secret=jwks_file.read_bytes()))


@pytest.mark.parametrize(
    ("extra", "says"),
    [({"iat": 3600}, "(iat)"), ({"nbf": 3600}, "(nbf)"), ({"exp": -3600}, "expired")],
    ids=["iat", "nbf", "exp"],
)
async def test_time_claims_name_themselves(client, extra: dict[str, int], says: str) -> None:  # type: ignore[no-untyped-def]
    now = int(time.time())
    body = await assert_unauthenticated(client, hs256(claims(**{name: now + delta for name, delta in extra.items()})))
    assert says in body["errors"][0]["message"]


async def test_two_authorization_headers_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    token = hs256(claims())
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)
    body = await response.json()
    assert response.status == 401
    assert "send one credential" in body["errors"][0]["message"]


@pytest.mark.parametrize("size", [9_000, 16_000])
async def test_oversized_credentials_get_the_coded_401(aiohttp_client, tmp_path: Path, size: int) -> None:  # type: ignore[no-untyped-def]
    from aiohttp.test_utils import TestServer

    from gateway.server import SERVER_LIMITS

    server = TestServer(create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db", jwt_secret=SECRET)))
    await server.start_server(**SERVER_LIMITS)  # as `serve` runs it
    client = await aiohttp_client(server)
    secret_part = "SECRETPART"
    for headers in ({"Authorization": "Bearer " + secret_part * (size // 10)}, {"X-API-Key": secret_part * (size // 10)}):
        response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)
        assert response.status == 401 and response.content_type == "application/json"
        assert secret_part not in await response.text()


def test_refused_requests_are_logged_in_one_line_without_the_header() -> None:
    import logging

    from aiohttp.http_exceptions import LineTooLong

    from gateway.server import RefusedRequests

    try:
        raise LineTooLong(b"Bearer SECRETPART" * 10, 8190)
    except LineTooLong:
        record = logging.getLogger("aiohttp.server").makeRecord(
            "aiohttp.server", logging.ERROR, __file__, 1, "Error handling request from %s", ("1.2.3.4",),
            sys.exc_info(),
        )
    assert RefusedRequests().filter(record)
    assert record.exc_info is None and record.levelno == logging.INFO
    assert "SECRETPART" not in record.getMessage() and "LineTooLong" in record.getMessage()
