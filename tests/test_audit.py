"""graphql-cop's checks, re-implemented against the real app (the tool is not on PyPI).

Each test sends what graphql-cop sends and asserts the answer it counts as safe. Findings
accepted by design (introspection, GraphiQL and suggestions on by default; queries over GET)
are explained in docs/limits.md and switched off with INTROSPECTION=false / GRAPHIQL=false.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import make_token
from tests.gql import tenant_ids


async def _post(client: Any, payload: Any, **kwargs: Any) -> tuple[int, Any]:
    response = await client.post("/graphql", json=payload, **kwargs)
    return response.status, await response.json()


async def test_alias_overloading(client: Any) -> None:
    aliases = " ".join(f"alias{i}:__typename" for i in range(101))
    status, body = await _post(client, {"query": f"query cop {{ {aliases} }}"})
    assert status == 400 and not body.get("data")


async def test_batch_queries(client: Any) -> None:
    status, body = await _post(client, [{"query": "query cop { __typename }"}] * 10)
    assert status == 400 and not isinstance(body, list)


async def test_field_duplication(client: Any) -> None:
    status, body = await _post(client, {"query": "query cop { " + "__typename " * 500 + "}"})
    assert status == 400 and not body.get("data")


async def test_directive_overloading(client: Any) -> None:
    status, body = await _post(client, {"query": "query cop { __typename " + "@aa" * 10 + " }"})
    assert status == 400
    assert len(body["errors"]) == 1, "one error per repeated directive would tell graphql-cop they are processed"


async def test_circular_introspection(client: Any) -> None:
    query = "query cop { __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }"
    status, body = await _post(client, {"query": query})
    assert status == 400 and not body.get("data")
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_mutation_over_get_and_form_posts(client: Any, sqlite_demo_url: str) -> None:
    ids = await tenant_ids(sqlite_demo_url)
    headers = {"Authorization": f"Bearer {make_token(ids[:1])}", "Accept": "application/json"}
    get = await client.get("/graphql", params={"query": "mutation cop { __typename }"}, headers=headers)
    assert get.status == 405
    form = await client.post("/graphql", data={"query": "query cop { __typename }"}, headers=headers)
    assert form.status == 415


async def test_no_tracing_or_debug_details(client: Any) -> None:
    status, body = await _post(client, {"query": "query cop { __typename @include(if: 1) }", "extensions": {"tracing": True}})
    text = str(body).lower()
    assert status == 400
    for marker in ("tracing", "stacktrace", "traceback", "exception", "graphql-core", "strawberry"):
        assert marker not in text, marker


async def test_introspection_and_ide_can_be_turned_off(aiohttp_client: Any, sqlite_demo_url: str) -> None:
    from gateway.app import create_app
    from gateway.settings import Settings
    from tests.conftest import SECRET

    closed = await aiohttp_client(create_app(Settings(database_url=sqlite_demo_url, jwt_secret=SECRET,
                                                      introspection=False, graphiql=False)))
    status, body = await _post(closed, {"query": "query cop { __schema { types { name } } }"})
    assert status == 400 and not body.get("data")
    _, typo = await _post(closed, {"query": "query cop { __schemaa { types { name } } }"})
    assert "Did you mean" not in str(typo)
    ide = await closed.get("/graphql", headers={"Accept": "text/html"})
    assert ide.status != 200 or "graphiql" not in (await ide.text()).lower()
