"""GraphiQL in headless Chromium, offline: vendored assets, the example query, the token from the fragment."""

from __future__ import annotations

import json

import aiohttp
import pytest

from tests.browser import chromium, editor_text, serve
from tests.conftest import make_token

pytestmark = pytest.mark.browser
TENANT = "t01-hotel-limmat-zurich"


async def test_graphiql_opens_offline_on_an_example_and_runs_it(aiohttp_server, sqlite_demo_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = await serve(aiohttp_server, sqlite_demo_url)
    token = make_token([TENANT])
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.page()
        await page.goto(str(server.make_url("/graphql")) + f"#token={token}")
        await page.wait_for_selector(".graphiql-container .graphiql-query-editor .CodeMirror")
        await page.wait_for_function("() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue().includes('query Example')")

        query = await editor_text(page, ".graphiql-query-editor")
        assert f'tenant(id: "{TENANT}")' in query and "metrics(range:" in query
        headers = json.loads(await editor_text(page, ".graphiql-editor-tool .graphiql-editor:not(.hidden)"))
        assert headers == {"Authorization": f"Bearer {token}"}
        assert "token" not in page.url  # taken out of the address bar

        await page.click(".graphiql-execute-button")
        await page.wait_for_function("() => document.querySelector('.result-window .CodeMirror').CodeMirror.getValue().includes('uniqueVisitors')")
        shown = json.loads(await editor_text(page, ".result-window"))
        assert browser.blocked == [] and browser.policy_violations == []  # nothing came from elsewhere

    async with aiohttp.ClientSession() as http:  # our own call with the same document
        response = await http.post(server.make_url("/graphql"), json={"query": query}, headers={"Authorization": f"Bearer {token}"})
        expected = await response.json()
    assert shown["data"] == expected["data"]
    assert shown["data"]["tenant"]["metrics"]["uniqueVisitors"] > 0  # the example range holds data


async def test_graphiql_without_a_token_explains_how_to_add_one(aiohttp_server, sqlite_demo_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = await serve(aiohttp_server, sqlite_demo_url)
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.page()
        await page.goto(str(server.make_url("/graphql")))
        await page.wait_for_selector(".graphiql-container .graphiql-query-editor .CodeMirror")
        query = await editor_text(page, ".graphiql-query-editor")
        assert "#token=" in query and "viewer" in query
        assert browser.blocked == [] and browser.policy_violations == []
