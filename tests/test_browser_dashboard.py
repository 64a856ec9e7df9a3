"""The example dashboard in headless Chromium: every widget renders the API's own numbers.

The expected values come from one GraphQL call the test makes itself over HTTP, written
independently of the dashboard's documents.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import aiohttp
import pytest

from tests.browser import chromium, serve
from tests.conftest import make_token

pytestmark = pytest.mark.browser
TENANT = "t01-hotel-limmat-zurich"
WIDGETS = ["kpis", "revenue", "forecast", "channels", "funnel", "benchmark", "segments", "attribution", "retention"]
BENCHMARKED = ["CONVERSION_RATE", "AVERAGE_BOOKING_VALUE", "CANCELLATION_RATE", "NPS"]
KPI = "uniqueVisitors sessions bookings conversionRate cancellationRate nps revenue { amount } averageBookingValue { amount }"

EXPECTED = """query($t: ID!, $r: DateRange!, $h: DateRange!) { tenant(id: $t) {
  metrics(range: $r) { %(kpi)s previousPeriod { %(kpi)s } }
  series(metric: REVENUE, range: $r, granularity: DAY) { start value }
  breakdown(metric: SESSIONS, by: CHANNEL, range: $r) { key value }
  funnel(range: $r) { step sessions }
  history: series(metric: REVENUE, range: $h, granularity: DAY) { value }
  forecast(metric: REVENUE, horizon: 30, granularity: DAY) { points { value lower80 upper80 lower95 upper95 } }
} }""" % {"kpi": KPI}
ANOMALIES = "query($t: ID!, $r: DateRange!) { tenant(id: $t) { anomalies(metric: REVENUE, range: $r, granularity: DAY) { start } } }"
BENCHMARK = "query($t: ID!, $m: DateRange!, $k: Metric!) { tenant(id: $t) { benchmark(metric: $k, range: $m) { value percentile } } }"
ANALYTICS = """query($t: ID!, $r: DateRange!, $c: DateRange!) { tenant(id: $t) {
  funnelBy(by: DEVICE, range: $r) { key steps { sessions } }
  attribution(model: LAST_TOUCH, by: UTM_CAMPAIGN, range: $r, lookbackDays: 30) { key bookings revenue { amount } }
  retention(range: $c, granularity: MONTH) { start customers returning }
} }"""


def whole_months(start: date, end: date) -> dict[str, str]:
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    last = end if (end + timedelta(days=1)).day == 1 else end.replace(day=1) - timedelta(days=1)
    if first > last:
        first = last.replace(day=1)
    return {"from": first.isoformat(), "to": last.isoformat()}


async def api(server, token: str, query: str, variables: dict) -> dict:  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as http:
        response = await http.post(server.make_url("/graphql"), json={"query": query, "variables": variables},
                                   headers={"Authorization": f"Bearer {token}"})
        return await response.json()


async def chart_data(page, name: str) -> list[list[object]]:  # type: ignore[no-untyped-def]
    return await page.evaluate(
        f"Chart.getChart(document.querySelector('canvas[data-chart={name}]')).data.datasets.map(d => d.data)")


async def test_dashboard_shows_the_apis_numbers(aiohttp_server, sqlite_demo_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = await serve(aiohttp_server, sqlite_demo_url)
    token = make_token([TENANT])
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.page()
        posted: list[dict] = []
        page.on("request", lambda r: r.method == "POST" and r.url.endswith("/graphql") and posted.append(json.loads(r.post_data)))
        await page.goto(str(server.make_url("/dashboard")) + f"#token={token}")
        await page.wait_for_selector("body[data-ready=true]")
        assert "token" not in page.url
        states = await page.evaluate("Object.fromEntries([...document.querySelectorAll('[data-widget]')].map(w => [w.dataset.widget, w.dataset.state]))")
        assert list(states) == WIDGETS
        assert all(states[w] == "ready" for w in WIDGETS if w != "benchmark"), states
        start, end = (date.fromisoformat(d) for d in (await page.get_attribute("body", "data-range")).split(".."))
        tiles = await page.evaluate("Object.fromEntries([...document.querySelectorAll('.tile')].map(t => [t.dataset.field, [t.dataset.value, t.querySelector('.delta').dataset.delta]]))")
        revenue, forecast = await chart_data(page, "revenue"), await chart_data(page, "forecast")
        channels, funnel = await chart_data(page, "channels"), await chart_data(page, "funnel")
        channel_keys = await page.evaluate("Chart.getChart(document.querySelector('canvas[data-chart=channels]')).data.labels")
        anomalies = await page.get_attribute("[data-anomalies]", "data-anomalies")
        rows = await page.evaluate("[...document.querySelectorAll('[data-widget=benchmark] tr[data-metric]')].map(r => [r.dataset.metric, r.dataset.error ?? null, r.dataset.value ?? null])")
        budget = await page.evaluate("({...document.getElementById('rate-limit').dataset})")
        segments = await chart_data(page, "segments")
        segment_keys = await page.evaluate("Chart.getChart(document.querySelector('canvas[data-chart=segments]')).data.datasets.map(d => d.label)")
        credited = await page.evaluate("[...document.querySelectorAll('[data-widget=attribution] tr[data-key]')].map(r => [r.dataset.key, r.dataset.revenue])")
        attributed = await chart_data(page, "attribution")
        cohort_range = await page.get_attribute("table.retention", "data-range")
        cohorts = await page.evaluate("[...document.querySelectorAll('table.retention tr[data-start]')].map(r => [r.dataset.start, Number(r.dataset.customers), [...r.querySelectorAll('td.heat')].map(c => Number(c.dataset.share))])")
        assert browser.blocked == [] and browser.policy_violations == []

    assert (end - start).days == 29  # the default: the last 30 days of the tenant's data
    history = {"from": (end - timedelta(days=89)).isoformat(), "to": end.isoformat()}
    months = whole_months(start, end)
    variables = {"t": TENANT, "r": {"from": start.isoformat(), "to": end.isoformat()}, "h": history}
    expected = (await api(server, token, EXPECTED, variables))["data"]["tenant"]

    metrics = expected["metrics"]
    for field in ("uniqueVisitors", "sessions", "bookings", "conversionRate", "cancellationRate", "nps"):
        assert float(tiles[field][0]) == pytest.approx(metrics[field]), field
        previous = metrics["previousPeriod"][field]
        assert float(tiles[field][1]) == pytest.approx((metrics[field] - previous) / abs(previous)), field
    assert tiles["revenue"][0] == metrics["revenue"]["amount"]
    assert tiles["averageBookingValue"][0] == metrics["averageBookingValue"]["amount"]

    assert revenue[0] == [p["value"] for p in expected["series"]]
    assert channel_keys == [r["key"] for r in expected["breakdown"]] and channels[0] == [r["value"] for r in expected["breakdown"]]
    assert funnel[0] == [s["sessions"] for s in expected["funnel"]]
    points = expected["forecast"]["points"]
    past = [p["value"] for p in expected["history"]]
    assert forecast[0][: len(past)] == past
    for index, key in enumerate(["value", "upper95", "lower95", "upper80", "lower80"], start=1):
        assert forecast[index][len(past):] == [p[key] for p in points], key

    found = (await api(server, token, ANOMALIES, {"t": TENANT, "r": variables["r"]}))["data"]["tenant"]["anomalies"]
    assert int(anomalies) == len(found)
    assert sum(v is not None for v in revenue[1]) == len(found)
    for metric, error, value in rows:
        answer = await api(server, token, BENCHMARK, {"t": TENANT, "m": months, "k": metric})
        if answer.get("errors"):
            assert error == answer["errors"][0]["extensions"]["code"]  # e.g. INSUFFICIENT_PEERS
        else:
            assert error is None and float(value) == pytest.approx(answer["data"]["tenant"]["benchmark"]["value"])
    assert [r[0] for r in rows] == BENCHMARKED
    first, last = cohort_range.split("..")
    analytics = (await api(server, token, ANALYTICS, {"t": TENANT, "r": variables["r"], "c": {"from": first, "to": last}}))
    analytics = analytics["data"]["tenant"]
    assert last == end.isoformat() and first.endswith("-01") and len(cohorts) == 12
    assert segment_keys == [s["key"] for s in analytics["funnelBy"]]
    assert segments == [[step["sessions"] for step in s["steps"]] for s in analytics["funnelBy"]]
    assert credited == [[r["key"], r["revenue"]["amount"]] for r in analytics["attribution"]]
    assert attributed[0] == [r["bookings"] for r in analytics["attribution"]]
    assert any(key.startswith(("spring_", "autumn_", "black_friday", "brand", "newsletter")) for key, _ in credited)
    assert cohorts == [[c["start"], c["customers"], c["returning"]] for c in analytics["retention"]]
    assert budget["limit"] == "30000" and 0 <= int(budget["remaining"]) < 30000

    # Apollo APQ: the first document is offered as its SHA-256 alone; every document sent
    # carries its hash (a server without APQ makes the client stop offering hashes alone)
    assert "query" not in posted[0] and posted[0]["extensions"]["persistedQuery"]["version"] == 1
    sent = [p for p in posted if "query" in p]
    assert len(sent) >= len(WIDGETS)
    for body in sent:
        digest = hashlib.sha256(body["query"].encode()).hexdigest()
        assert body["extensions"]["persistedQuery"] == {"version": 1, "sha256Hash": digest}


async def test_free_tier_signs_in_with_the_form_and_sees_forbidden_per_widget(aiohttp_server, sqlite_demo_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = await serve(aiohttp_server, sqlite_demo_url)
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.page()
        await page.goto(str(server.make_url("/dashboard")))
        await page.fill("#token", make_token([TENANT], tier="FREE"))
        await page.click("#sign-in button[type=submit]")
        await page.wait_for_selector("body[data-ready=true]")
        states = await page.evaluate("Object.fromEntries([...document.querySelectorAll('[data-widget]')].map(w => [w.dataset.widget, w.dataset.state]))")
        codes = await page.evaluate("Object.fromEntries([...document.querySelectorAll('[data-widget]')].map(w => [w.dataset.widget, [...w.querySelectorAll('.errors li')].map(li => li.dataset.code)]))")
        stored = await page.evaluate("sessionStorage.getItem('analytics-gateway.token') !== null")
        budget = await page.evaluate("document.getElementById('rate-limit').dataset.limit")
    assert states == {"kpis": "ready", "revenue": "partial", "forecast": "error", "channels": "ready",
                      "funnel": "ready", "benchmark": "partial", "segments": "ready", "attribution": "ready",
                      "retention": "ready"}
    assert codes["revenue"] == ["FORBIDDEN"] and codes["forecast"] == ["FORBIDDEN"]
    assert codes["benchmark"] == ["FORBIDDEN"] * len(BENCHMARKED)
    assert stored and budget == "3000"


async def test_a_bad_token_shows_the_code_and_the_form(aiohttp_server, sqlite_demo_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = await serve(aiohttp_server, sqlite_demo_url)
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.page()
        await page.goto(str(server.make_url("/dashboard")) + "#token=not-a-jwt")
        await page.wait_for_selector("#notice:not([hidden])")
        notice = await page.text_content("#notice")
        assert await page.is_visible("#sign-in")
    assert notice.startswith("UNAUTHENTICATED:")


async def test_rate_limited_requests_show_their_code_and_retry_after(aiohttp_server, sqlite_demo_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tiers = tmp_path / "tiers.toml"
    tiers.write_text("[FREE]\nrequests_per_minute = 5\n")
    server = await serve(aiohttp_server, sqlite_demo_url, tiers_file=tiers)
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.page()
        await page.goto(str(server.make_url("/dashboard")) + f"#token={make_token([TENANT], tier='FREE')}")
        await page.wait_for_selector("body[data-ready=true]")
        codes = await page.evaluate("[...document.querySelectorAll('[data-widget] .errors li')].map(li => li.dataset.code)")
        shown = await page.evaluate("({...document.getElementById('rate-limit').dataset, text: document.getElementById('rate-limit').textContent})")
    assert "RATE_LIMITED" in codes
    assert int(shown["retryAfter"]) >= 1 and "retry after" in shown["text"], shown

