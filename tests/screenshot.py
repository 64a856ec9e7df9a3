"""Regenerate docs/dashboard.png: the dashboard on the default demo data, in headless Chromium.

    .venv/bin/python -m tests.screenshot [store.db]

Seeds the default demo (18 tenants, two years up to yesterday) into a scratch SQLite file
unless one is given, serves the app on a free port and screenshots /dashboard.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from aiohttp.test_utils import TestServer

from gateway.app import create_app
from gateway.database import create_engine
from gateway.settings import Settings
from tests.browser import chromium
from tests.conftest import SECRET, make_token

OUT = Path(__file__).resolve().parent.parent / "docs" / "dashboard.png"
TENANT = "t01-hotel-limmat-zurich"


async def main(store: Path | None) -> None:
    scratch = Path(tempfile.mkdtemp())
    url = f"sqlite+aiosqlite:///{store or scratch / 'demo.db'}"
    if store is None:
        from demo.seeding import seed_store

        engine = create_engine(Settings(database_url=url))
        await seed_store(engine, tenants=18, days=730, seed=42, progress=False)
        await engine.dispose()
    server = TestServer(create_app(Settings(database_url=url, jwt_secret=SECRET)), host="127.0.0.1")
    await server.start_server()
    try:
        async with chromium(scratch / "profile") as browser:
            page = await browser.page()
            await page.set_viewport_size({"width": 1400, "height": 900})
            await page.goto(str(server.make_url("/dashboard")) + f"#token={make_token([TENANT])}")
            await page.wait_for_selector("body[data-ready=true]")
            await page.select_option("#preset", "90")
            await page.click("#controls button[type=submit]")
            await page.wait_for_selector("body[data-ready=true]")
            await page.wait_for_timeout(500)
            await page.screenshot(path=str(OUT), full_page=True)
    finally:
        await server.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
