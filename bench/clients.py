"""Many clients at once: the issue's Cube comparison, throughput rows, through real servers.

    .venv/bin/python bench/clients.py [--db URL] [--end DATE] [--clients 20] [--same 1000] [--distinct 200]

Without --db it seeds a temporary SQLite demo store. Two gateways run as their own processes on
the same store: the shipped one (rollups, result cache, whole-response cache) and the baseline
answering every request from the raw rows with no cache (ROLLUPS=false CACHE=false, how every
request was answered before). For the three one-tenant questions of bench/work.py, `--clients`
concurrent clients send
  same      one request over and over (a dashboard everybody opens),
  distinct  every request a different one-year range (shifted by a day: nothing to reuse whole),
and it prints requests/s and p50 of both gateways and their ratio, and checks that both return
identical numbers for every distinct range.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from common import machine, on_store, percentile, store_parser
from servers import bearer, gateway_process, load
from work import QUESTIONS

from gateway.database import create_engine
from gateway.settings import Settings
from loaders.store import first_tenant_id

GATEWAYS = {"gateway": {}, "raw": {"ROLLUPS": "false", "CACHE": "false"}}


def bodies(query: str, tenant_id: str, end: date, count: int, distinct: bool) -> list[bytes]:
    def body(i: int) -> bytes:
        last = end - timedelta(days=i if distinct else 0)
        variables = {"id": tenant_id, "f": (last - timedelta(days=364)).isoformat(), "t": last.isoformat()}
        return json.dumps({"query": query, "variables": variables}).encode()

    return [body(i) for i in range(count)]


async def run(db: str, args: argparse.Namespace, workdir: Path) -> None:
    engine = create_engine(Settings(database_url=db))
    tenant_id = await first_tenant_id(engine)
    await engine.dispose()
    headers = bearer([tenant_id])
    print(f"machine: {machine()}\nstore: {db.split(':')[0]}, tenant {tenant_id}, {args.clients} concurrent clients")
    print(f"{'question':15} {'requests':9} {'gateway req/s':>14} {'raw req/s':>10} {'ratio':>7} "
          f"{'gateway p50 ms':>15} {'raw p50 ms':>11}")
    results: dict[tuple[str, str, str], tuple[float, float, list[Any]]] = {}
    for name, env in GATEWAYS.items():
        async with gateway_process(db, workdir, **env) as url:
            for question, query in QUESTIONS.items():
                for kind, count in (("same", args.same if name == "gateway" else args.distinct), ("distinct", args.distinct)):
                    sent = bodies(query, tenant_id, args.end, count, kind == "distinct")
                    await load(url, sent[:1], headers, 1)  # a first request: the document parsed, caches filled
                    if kind == "distinct":
                        sent = bodies(query, tenant_id, args.end - timedelta(days=count), count, True)
                    rate, latencies, answers = await load(url, sent, headers, args.clients)
                    results[(name, question, kind)] = (rate, percentile(latencies, 0.5) * 1000,
                                                       [json.loads(a)["data"] for a in answers])
    for question in QUESTIONS:
        for kind in ("same", "distinct"):
            (rate, p50, got), (raw_rate, raw_p50, expected) = (results[(n, question, kind)] for n in GATEWAYS)
            if kind == "distinct" and got != expected or any(answer != expected[0] for answer in got if kind == "same"):
                raise SystemExit(f"{question}, {kind}: the gateway's numbers differ from the raw rows'")
            print(f"{question:15} {kind:9} {rate:>14.0f} {raw_rate:>10.1f} {rate / raw_rate:>6.1f}x "
                  f"{p50:>15.2f} {raw_p50:>11.2f}")
    print("identical numbers: yes (every distinct range, and the repeated request, against the raw rows)")


if __name__ == "__main__":
    parser = store_parser(tenants=6, end_help="last day of the year asked for")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--same", type=int, default=1000, help="requests of the repeated question")
    parser.add_argument("--distinct", type=int, default=200, help="requests with distinct ranges")
    asyncio.run(on_store(parser.parse_args(), run))
