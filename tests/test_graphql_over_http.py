"""GraphQL over HTTP: the graphql-http server audit's MUST checks replayed on the real app, the
statuses of `application/graphql-response+json`, and media-type negotiation.

The audit ids are those of graphql/graphql-http `src/audits/server.ts`; the requests are sent
exactly as the audit sends them (no credentials: the audit is anonymous).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.media import GRAPHQL_RESPONSE_JSON, JSON, negotiate
from tests.conftest import make_token

TYPENAME = {"query": "{ __typename }"}
TYPE_QUERY = "query Type($name: String!) { __type(name: $name) { name } }"


def _post(body: Any, accept: str | None = None, content_type: str = "application/json") -> dict[str, Any]:
    headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}
    return {"data": body if isinstance(body, (bytes, str)) else json.dumps(body), "headers": headers}


# (id, what the audit says, request, must the body be free of `errors`)
MUSTS = [
    ("4655", "accept application/json and match the content-type", _post(TYPENAME, JSON), True),
    ("82A3", "use utf-8 encoding when responding", _post(TYPENAME), True),
    ("BF61", "accept utf-8 encoded request",
     _post({"query": '{ __type(name: "Run🏃Swim🏊") { name } }'}, content_type="application/json; charset=utf-8"), True),
    ("78D5", "assume utf-8 in request if encoding is unspecified", _post(TYPENAME), True),
    ("2C94", "accept POST requests", _post(TYPENAME), True),
    ("03D4", "accept application/json POST requests", _post(TYPENAME), True),
    ("13EE", "allow string {query} parameter when accepting application/json", _post(TYPENAME, JSON), True),
    ("B8B3", "allow string {operationName} parameter when accepting application/json",
     _post({"operationName": "Query", "query": "query Query { __typename }"}, JSON), True),
    ("0220", "allow null {variables} parameter when accepting application/json", _post({**TYPENAME, "variables": None}, JSON), True),
    ("0221", "allow null {operationName} parameter when accepting application/json",
     _post({**TYPENAME, "operationName": None}, JSON), True),
    ("0222", "allow null {extensions} parameter when accepting application/json", _post({**TYPENAME, "extensions": None}, JSON), True),
    ("28B9", "allow map {variables} parameter when accepting application/json",
     _post({"query": TYPE_QUERY, "variables": {"name": "sometype"}}, JSON), True),
    ("1B7A", "allow map {extensions} parameter when accepting application/json",
     _post({**TYPENAME, "extensions": {"some": "value"}}, JSON), True),
]


@pytest.mark.parametrize("audit, request_kwargs, no_errors", [pytest.param(a, r, n, id=f"{a} {t}") for a, t, r, n in MUSTS])
async def test_audit_must(client, audit: str, request_kwargs: dict[str, Any], no_errors: bool) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/graphql", **request_kwargs)
    raw = await response.read()
    assert response.status == 200, (audit, raw)
    assert "application/json" in response.headers["Content-Type"], audit
    body = json.loads(raw.decode("utf-8"))  # strict UTF-8: 82A3
    if no_errors:
        assert "errors" not in body, (audit, body)


async def test_audit_must_require_a_request_body_on_post(client) -> None:  # type: ignore[no-untyped-def]
    """7267 (older audit): a body-less JSON POST answers with errors in JSON, or else 400."""
    response = await client.post("/graphql", headers={"Content-Type": "application/json"})
    if "application/json" in response.headers.get("Content-Type", ""):
        assert (await response.json())["errors"]
    else:
        assert response.status == 400


async def test_audit_get_mutation_is_4xx(client) -> None:  # type: ignore[no-untyped-def]
    """9C48: a mutation over GET is never executed."""
    response = await client.get("/graphql", params={"query": "mutation { __typename }"},
                                headers={"Accept": GRAPHQL_RESPONSE_JSON})
    assert 400 <= response.status < 500
    assert "data" not in await response.json()


# --- application/graphql-response+json: statuses follow the outcome ----------------------------

REQUEST_ERRORS = [
    pytest.param(b'{ "not a JSON', 400, id="json-parse-failure"),
    pytest.param({"qeury": "{ __typename }"}, 400, id="missing-query"),
    *(pytest.param({"query": bad}, 400, id=f"query-{type(bad).__name__}") for bad in ({"obj": "ect"}, 0, False, ["array"])),
    *(pytest.param({**TYPENAME, "operationName": bad}, 400, id=f"operationName-{type(bad).__name__}")
      for bad in ({"obj": "ect"}, 0, False, ["array"])),
    *(pytest.param({**TYPENAME, "variables": bad}, 400, id=f"variables-{type(bad).__name__}") for bad in ("string", 0, False, ["array"])),
    *(pytest.param({**TYPENAME, "extensions": bad}, 400, id=f"extensions-{type(bad).__name__}")
      for bad in ("string", 0, False, ["array"])),
    pytest.param({"query": "{"}, 400, id="document-parse-failure"),
    pytest.param({"query": "{ 8f31403dfe404bccbb0e835f2629c6a7 }"}, 400, id="document-validation-failure"),
    pytest.param({"query": "query CoerceFailure($id: ID!){ __typename }", "variables": {"id": None}}, 400,
                 id="variable-coercion-failure"),
    pytest.param({"query": "{ viewer { subject } }"}, 401, id="no-credentials"),
]


@pytest.mark.parametrize("body, status", REQUEST_ERRORS)
async def test_request_errors_are_4xx_without_data(client, body: Any, status: int) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/graphql", **_post(body, GRAPHQL_RESPONSE_JSON))
    assert response.status == status, await response.text()
    assert response.headers["Content-Type"].startswith(GRAPHQL_RESPONSE_JSON)
    document = json.loads(await response.text())
    assert "data" not in document, document
    assert document["errors"] and all(error["extensions"]["code"] for error in document["errors"])


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE_JSON])
async def test_request_errors_omit_data_under_either_media_type(client, accept: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/graphql", **_post({"query": "{ nope }"}, accept))
    assert 400 <= response.status < 500
    assert "data" not in json.loads(await response.text())


async def test_field_errors_keep_data_and_200(client) -> None:  # type: ignore[no-untyped-def]
    """Execution ran (a tier gate failed one field): data is present, so 2xx is a MUST."""
    token = make_token(["t01-hotel-limmat-zurich"], "FREE")
    response = await client.post(
        "/graphql",
        json={"query": '{ viewer { tier } tenant { id forecast(metric: REVENUE, horizon: 3) { model } } }'},
        headers={"Authorization": f"Bearer {token}", "Accept": GRAPHQL_RESPONSE_JSON},
    )
    body = json.loads(await response.text())
    assert response.status == 200, body
    assert "data" in body and [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def test_anonymous_introspection_with_a_fragment_still_refuses_guarded_fields(client) -> None:  # type: ignore[no-untyped-def]
    document = "query { ...F __typename } fragment F on Query { currencies { code } }"
    response = await client.post("/graphql", **_post({"query": document}, GRAPHQL_RESPONSE_JSON))
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "data" not in json.loads(await response.text())


async def test_get_answers_in_the_negotiated_media_type(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/graphql", params={"query": TYPE_QUERY, "variables": '{"name": "Query"}'},
                                headers={"Accept": GRAPHQL_RESPONSE_JSON})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert json.loads(await response.text()) == {"data": {"__type": {"name": "Query"}}}


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON}, application/json", GRAPHQL_RESPONSE_JSON),
        (f"application/json, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON};charset=utf-8, application/json;charset=utf-8", GRAPHQL_RESPONSE_JSON),
        (f"application/json, {GRAPHQL_RESPONSE_JSON};q=0.9", JSON),
        (f"{GRAPHQL_RESPONSE_JSON};q=0.8, */*;q=0.9", JSON),
        (f"{GRAPHQL_RESPONSE_JSON};q=0", JSON),
        (f"{GRAPHQL_RESPONSE_JSON};q=nonsense, application/json", JSON),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON", GRAPHQL_RESPONSE_JSON),
        ("text/html", JSON),
    ],
)
def test_negotiation(accept: str | None, expected: str) -> None:
    assert negotiate(accept) == expected
