"""The floor: an aiohttp handler that returns fixed bytes (what the gateway's answer is).

    python bench/floor_server.py PORT BODY_FILE
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiohttp import web


def main() -> None:
    port, body = int(sys.argv[1]), Path(sys.argv[2]).read_bytes()

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/graphql", answer)
    app.router.add_get("/health", lambda _request: answer_health())
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def answer_health() -> web.Response:
    return web.json_response({"status": "ok"})


if __name__ == "__main__":
    main()
