"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, kept offline.

Chromium missing skips the browser tests, or fails them under GATEWAY_REQUIRE_SERVICES=1.
Every request to a host other than the local test servers is aborted and recorded, so a page
that reached for a CDN fails its test instead of silently working online.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.services import unavailable

CHROMIUM = Path(os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium"))
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@dataclass
class Browser:
    context: object  # playwright BrowserContext
    blocked: list[str] = field(default_factory=list)  # requests that tried to leave the machine
    console_errors: list[str] = field(default_factory=list)

    @property
    def policy_violations(self) -> list[str]:
        return [text for text in self.console_errors if "Content Security Policy" in text]

    async def page(self):  # type: ignore[no-untyped-def]
        page = await self.context.new_page()  # type: ignore[attr-defined]
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        return page


@asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[Browser]:
    if not CHROMIUM.is_file():
        unavailable(f"Chromium at {CHROMIUM}", FileNotFoundError("apt-get install -y chromium"))
    try:
        from playwright.async_api import async_playwright
    except ImportError as error:
        unavailable("the playwright package", error)
    async with async_playwright() as driver:
        context = await driver.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        browser = Browser(context)

        async def offline(route):  # type: ignore[no-untyped-def]
            url = route.request.url
            if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:", "about:")):
                await route.continue_()
            else:
                browser.blocked.append(url)
                await route.abort()

        await context.route("**/*", offline)
        try:
            yield browser
        finally:
            await context.close()


async def serve(aiohttp_server, database_url: str, **settings: object):  # type: ignore[no-untyped-def]
    """The real app on a real local port (GraphQL, pages, static files)."""
    from gateway.app import create_app
    from gateway.settings import Settings
    from tests.conftest import SECRET

    return await aiohttp_server(create_app(Settings(database_url=database_url, jwt_secret=SECRET, **settings)))


async def editor_text(page, selector: str) -> str:  # type: ignore[no-untyped-def]
    """The text of a GraphiQL (CodeMirror 5) editor."""
    return await page.evaluate(f"document.querySelector({selector!r} + ' .CodeMirror').CodeMirror.getValue()")
