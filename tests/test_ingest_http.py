"""POST /ingest/{kind} through the real app: NDJSON and CSV, line numbers, limits, back-pressure."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from auth.api_keys import create_key
from core.vocabulary import Tier
from gateway import appkeys
from gateway.app import create_app
from gateway.database import create_engine
from gateway.settings import Settings
from tests.conftest import SECRET, make_token
from tests.ingest_support import booking, count, pageview, prepare

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
NDJSON = {"Content-Type": "application/x-ndjson"}
CSV = {"Content-Type": "text/csv"}


def _auth(scope: str = "read ingest", tenants: tuple[str, ...] = ("ing-a",), tier: str = "ENTERPRISE") -> dict:
    return {"Authorization": "Bearer " + make_token(list(tenants), tier=tier, scope=scope)}


def _ndjson(items: list[dict]) -> bytes:
    return "".join(json.dumps(item) + "\n" for item in items).encode()


@pytest.fixture
async def store(empty_store_url: str) -> str:
    await prepare(empty_store_url)
    return empty_store_url


async def _client(aiohttp_client, url: str, **settings):  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(Settings(database_url=url, jwt_secret=SECRET, **settings)))


async def test_ndjson_body_then_replay(aiohttp_client, store: str) -> None:  # type: ignore[no-untyped-def]
    client = await _client(aiohttp_client, store, ingest_chunk_rows=100)
    body = _ndjson([pageview(n) for n in range(1_050)])  # several chunks, one transaction
    response = await client.post("/ingest/pageviews", data=body, headers={**NDJSON, **_auth()})
    assert response.status == 200, await response.text()
    assert await response.json() == {"inserted": 1_050, "updated": 0, "duplicates": 0, "errors": []}
    assert response.headers["X-Write-Limit"] == "6000000"
    assert int(response.headers["X-Write-Remaining"]) <= 6_000_000 - 1_050
    replay = await client.post("/ingest/pageviews", data=body, headers={**NDJSON, **_auth()})
    assert (await replay.json())["duplicates"] == 1_050
    assert await count(store, "pageviews", "ing-a") == 1_050


async def test_csv_errors_carry_line_numbers_and_nothing_is_stored(aiohttp_client, store: str) -> None:  # type: ignore[no-untyped-def]
    client = await _client(aiohttp_client, store)
    body = (EXAMPLES / "bookings.csv").read_text().splitlines()
    body.insert(2, "BK-BAD,2025-03-01T10:00:00Z,c-1,,2025-04-01,2,1,-5,EUR,CONFIRMED,direct")
    body.append('BK-Q,2025-03-01T10:00:00Z,"c, with comma",,2025-04-01,2,1,5,EUR,CONFIRMED,tv')
    text = "\n".join(body) + "\n"
    refused = await client.post("/ingest/bookings", data=text, headers={**CSV, **_auth()})
    assert refused.status == 400
    result = await refused.json()
    assert result["inserted"] == 0
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(3, "amount"), (6, "channel")]
    assert await count(store, "bookings") == 0
    partial = await client.post("/ingest/bookings?partial=true", data=text, headers={**CSV, **_auth()})
    assert partial.status == 200
    assert (await partial.json())["inserted"] == 3
    assert await count(store, "bookings") == 3


async def test_ndjson_lines_are_numbered_from_one(aiohttp_client, store: str) -> None:  # type: ignore[no-untyped-def]
    client = await _client(aiohttp_client, store)
    body = _ndjson([pageview(1)]) + b"{not json\n" + b"\n" + _ndjson([pageview(2, step="CHECKOUT")]) + b"[1]\n"
    response = await client.post("/ingest/pageviews", data=body, headers={**NDJSON, **_auth()})
    assert response.status == 400
    errors = (await response.json())["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(2, None), (4, "step"), (5, None)]


async def test_bad_csv_header_is_a_400(aiohttp_client, store: str) -> None:  # type: ignore[no-untyped-def]
    client = await _client(aiohttp_client, store)
    response = await client.post("/ingest/surveys", data="responseId,ts,mood\n", headers={**CSV, **_auth()})
    assert response.status == 400
    assert "unknown column 'mood'" in (await response.json())["errors"][0]["message"]


async def test_credentials_scopes_and_tenants(aiohttp_client, store: str) -> None:  # type: ignore[no-untyped-def]
    client = await _client(aiohttp_client, store)
    body = _ndjson([pageview(1)])
    assert (await client.post("/ingest/pageviews", data=body, headers=NDJSON)).status == 401
    read_only = await client.post("/ingest/pageviews", data=body, headers={**NDJSON, **_auth(scope="read")})
    assert read_only.status == 403
    assert (await read_only.json())["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await client.post("/ingest/pageviews?tenant=ing-b", data=body, headers={**NDJSON, **_auth()})
    assert other.status == 403
    fx = await client.post("/ingest/fx", data=(EXAMPLES / "fx.csv").read_bytes(), headers={**CSV, **_auth()})
    assert fx.status == 403
    wrong_type = await client.post("/ingest/pageviews", data=body, headers={"Content-Type": "text/plain", **_auth()})
    assert wrong_type.status == 415
    assert await count(store, "pageviews") == 0 and await count(store, "fx_rates") == 2
    admin = await client.post("/ingest/fx", data=(EXAMPLES / "fx.csv").read_bytes(), headers={**CSV, **_auth("admin")})
    result = await admin.json()
    assert (result["inserted"], result["updated"]) == (2, 1)  # EUR 2025-03-01 moved


async def test_api_key_with_the_ingest_scope(aiohttp_client, store: str) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(Settings(database_url=store))
    try:
        key, _ = await create_key(engine, name="pipeline", tier=Tier.PROFESSIONAL, tenant_ids=["ing-b"],
                                  scopes=("ingest",))
        reader, _ = await create_key(engine, name="dashboard", tier=Tier.PROFESSIONAL, tenant_ids=["ing-b"])
    finally:
        await engine.dispose()
    client = await _client(aiohttp_client, store)
    body = (EXAMPLES / "pageviews.csv").read_bytes()
    denied = await client.post("/ingest/pageviews", data=body, headers={**CSV, "X-API-Key": reader})
    assert denied.status == 403
    stored = await client.post("/ingest/pageviews", data=body, headers={**CSV, "X-API-Key": key})
    assert (await stored.json())["inserted"] == 8
    assert await count(store, "pageviews", "ing-b") == 8
    # the ingest key cannot read
    query = await client.post("/graphql", json={"query": "{ tenant { id } }"}, headers={"X-API-Key": key})
    assert (await query.json())["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_body_over_the_limit_is_413(aiohttp_client, store: str) -> None:  # type: ignore[no-untyped-def]
    client = await _client(aiohttp_client, store, ingest_max_body_bytes=4096)
    body = _ndjson([pageview(n) for n in range(100)])
    declared = await client.post("/ingest/pageviews", data=body, headers={**NDJSON, **_auth()})
    assert declared.status == 413

    async def chunked():  # type: ignore[no-untyped-def]
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    streamed = await client.post("/ingest/pageviews", data=chunked(), headers={**NDJSON, **_auth()})
    assert streamed.status == 413
    assert await count(store, "pageviews") == 0


async def test_full_write_queue_answers_503_with_retry_after(aiohttp_client, store: str) -> None:  # type: ignore[no-untyped-def]
    client = await _client(aiohttp_client, store, ingest_max_in_flight=1, ingest_queue_size=0)
    release = asyncio.Event()
    first_sent = asyncio.Event()

    async def slow():  # type: ignore[no-untyped-def]
        yield _ndjson([pageview(1)])
        first_sent.set()
        await release.wait()
        yield _ndjson([pageview(2)])

    held = asyncio.ensure_future(client.post("/ingest/pageviews", data=slow(), headers={**NDJSON, **_auth()}))
    await first_sent.wait()
    queue = client.server.app[appkeys.INGEST].queue
    for _ in range(1000):  # until the server has admitted the first body (and waits for its rest)
        if queue.admitted:
            break
        await asyncio.sleep(0.01)
    assert queue.admitted == 1
    refused = await client.post("/ingest/pageviews", data=_ndjson([pageview(3)]), headers={**NDJSON, **_auth()})
    assert refused.status == 503
    assert int(refused.headers["Retry-After"]) >= 1
    mutation = await client.post("/graphql", headers=_auth(), json={
        "query": "mutation($i: [SurveyResponseInput!]!) { recordSurveyResponses(items: $i) { inserted } }",
        "variables": {"i": [{"responseId": "x", "ts": "2025-03-01T00:00:00Z", "score": 5}]},
    })
    assert mutation.status == 503 and "Retry-After" in mutation.headers
    release.set()
    first = await held
    assert (await first.json())["inserted"] == 2
    assert await count(store, "pageviews") == 2


async def test_write_budget_is_metered_by_rows(aiohttp_client, store: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tiers = tmp_path / "tiers.toml"
    tiers.write_text("[FREE]\nwrite_rows_per_minute = 30\n")
    client = await _client(aiohttp_client, store, tiers_file=tiers)
    headers = {**NDJSON, **_auth(tier="FREE")}
    ok = await client.post("/ingest/pageviews", data=_ndjson([pageview(n) for n in range(20)]), headers=headers)
    assert ok.status == 200 and ok.headers["X-Write-Remaining"] == "10"
    over = await client.post("/ingest/pageviews", data=_ndjson([pageview(n) for n in range(20, 40)]), headers=headers)
    assert over.status == 429 and int(over.headers["Retry-After"]) >= 1
    assert await count(store, "pageviews") == 20
    mutation = await client.post("/graphql", headers=_auth(tier="FREE"), json={
        "query": "mutation($i: [BookingInput!]!) { recordBookings(items: $i) { inserted } }",
        "variables": {"i": [booking(1)]},
    })
    body = await mutation.json()
    assert body["data"]["recordBookings"]["inserted"] == 1
    assert body["extensions"]["writeBudget"]["remaining"] == 9
    assert mutation.headers["X-Write-Remaining"] == "9"


KEY_METRICS = """{ tenant(id: "ing-a") { metrics(range: {from: "2025-03-01", to: "2025-03-05"}, currency: "EUR") {
  pageviews uniqueVisitors sessions bookings revenue { amount } repeatBookingRate conversionRate } } }"""


async def test_concurrent_bodies_for_one_tenant_and_day_all_land(aiohttp_client, store: str) -> None:  # type: ignore[no-untyped-def]
    """Bodies for the same tenant and days arrive together: each is stored whole (no deadlock
    surfaces as an error), and the rollups rebuilt by each transaction equal the raw rows."""
    client = await _client(aiohttp_client, store)
    pageviews = [_ndjson([pageview(n + 200 * body) for n in range(200)]) for body in range(6)]
    bookings = [_ndjson([booking(n + 30 * body) for n in range(30)]) for body in range(4)]
    responses = await asyncio.gather(
        *(client.post("/ingest/pageviews", data=body, headers={**NDJSON, **_auth()}) for body in pageviews),
        *(client.post("/ingest/bookings", data=body, headers={**NDJSON, **_auth()}) for body in bookings),
    )
    assert [response.status for response in responses] == [200] * 10, [await r.text() for r in responses]
    assert await count(store, "pageviews", "ing-a") == 1_200
    assert await count(store, "bookings", "ing-a") == 120
    raw = await _client(aiohttp_client, store, rollups=False, cache=False)
    answers = []
    for app in (client, raw):
        response = await app.post("/graphql", json={"query": KEY_METRICS}, headers=_auth())
        answers.append(await response.json())
    assert "errors" not in answers[0], answers[0]
    # the numbers; the cost extensions' resetAt is the second each request was charged in
    assert answers[0]["data"] == answers[1]["data"]
    assert answers[0]["data"]["tenant"]["metrics"]["pageviews"] == 1_200


TRAFFIC = """{ tenant(id: "ing-a") {
  metrics(range: {from: "2025-03-01", to: "2025-03-03"}) { pageviews uniqueVisitors sessions conversionRate }
  funnel(range: {from: "2025-03-01", to: "2025-03-03"}) { step sessions }
  byDevice: breakdown(metric: SESSIONS, by: DEVICE, range: {from: "2025-03-01", to: "2025-03-03"}) { key value }
  byLogin: breakdown(metric: UNIQUE_VISITORS, by: LOGIN_STATUS, range: {from: "2025-03-02", to: "2025-03-02"}) { key value }
} }"""
STEPS = ["LANDING", "SEARCH", "ROOM_SELECT", "BOOKING_FORM"]


async def test_small_writes_add_rollup_rows_that_answer_like_the_raw_rows(aiohttp_client, store: str) -> None:  # type: ignore[no-untyped-def]
    """Many small bodies to the same sessions and days: each adds its own rollup rows (no rebuild
    of the day), the answers equal the raw path's, and a rebuild of the days changes nothing."""
    from sqlalchemy import func, select

    from loaders.rollup_refresh import refresh_tenant_in
    from loaders.rollup_tables import rollup_traffic

    client = await _client(aiohttp_client, store, cache=False)
    raw = await _client(aiohttp_client, store, rollups=False, cache=False)
    for body in range(8):
        # six sessions (each its own visitor and device) over three days, in every body
        items = [pageview(n, step=STEPS[(n + body) % 4], sessionId=f"s-{n % 6}", visitorId=f"v-{n % 6}",
                          loggedIn=n % 6 < 2, device=("mobile", "desktop")[n % 2],
                          ts=f"2025-03-0{1 + n // 6 % 3}T{8 + body:02d}:{n % 60:02d}:00+00:00")
                 for n in range(body * 40, body * 40 + 40)]
        response = await client.post("/ingest/pageviews", data=_ndjson(items), headers={**NDJSON, **_auth()})
        assert response.status == 200, await response.text()

    async def answers() -> list[dict]:
        out = []
        for app in (client, raw):
            response = await app.post("/graphql", json={"query": TRAFFIC}, headers=_auth())
            answer = await response.json()
            assert "errors" not in answer, answer
            out.append(answer["data"])
        return out

    added, expected = await answers()
    assert added == expected
    assert added["tenant"]["metrics"]["pageviews"] == 320
    engine = create_engine(Settings(database_url=store))
    try:
        count = select(func.count()).select_from(rollup_traffic)
        async with engine.begin() as conn:
            before = (await conn.execute(count)).scalar_one()
            await refresh_tenant_in(conn, "ing-a")
            after = (await conn.execute(count)).scalar_one()
    finally:
        await engine.dispose()
    assert after < before  # the rebuild merged the sessions' rows that the writes added side by side
    assert await answers() == [added, expected]
