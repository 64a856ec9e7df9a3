// The example dashboard: sign in with a token, pick a tenant and a range, render every widget
// from the public GraphQL API (persisted queries), show errors with their codes and the budget.
import { GraphQLClient } from "/static/shared/client.js";
import { authHeaders, forgetToken, storeToken, takeToken } from "/static/shared/session.js";
import { lastDays } from "/static/shared/dates.js";
import { rangeControls } from "/static/dashboard/range.js";
import { renderWidget } from "/static/dashboard/runner.js";
import { WIDGETS } from "/static/dashboard/widgets/index.js";

const $ = (id) => document.getElementById(id);
let token = takeToken();
const client = new GraphQLClient({ headers: () => authHeaders(token), onRateLimit: showRateLimit });

let blockedUntil = 0; // a refusal's Retry-After holds until then, whatever answers arrive later

function showRateLimit({ limit, remaining, reset, retryAfter }) {
  const out = $("rate-limit");
  if (retryAfter) blockedUntil = Math.max(blockedUntil, Date.now() + Number(retryAfter) * 1000);
  const wait = Math.ceil((blockedUntil - Date.now()) / 1000);
  const retry = wait > 0 ? `rate limited: retry after ${wait} s` : "";
  out.dataset.retryAfter = wait > 0 ? wait : "";
  if (limit === null) { out.textContent = retry; return; } // refused before any budget applied
  out.dataset.limit = limit;
  out.dataset.remaining = remaining;
  out.textContent = `budget ${remaining.toLocaleString("en-US")} / ${limit.toLocaleString("en-US")}, `
    + `full again at ${reset.toLocaleTimeString()}${retry ? ` (${retry})` : ""}`;
}

function notice(text) {
  $("notice").hidden = !text;
  $("notice").textContent = text ?? "";
}

function signedOut(message) {
  forgetToken();
  token = null;
  $("controls").hidden = true;
  $("widgets").replaceChildren();
  $("sign-in").hidden = false;
  notice(message);
}

async function tenantRange(tenant) {
  const { body } = await client.request("query DashboardTenant($id: ID!) { tenant(id: $id) { name currency dataRange { from to } } }", { id: tenant });
  return body.data?.tenant ?? null;
}

async function start() {
  const { body } = await client.request("query DashboardViewer { viewer { subject tier tenantIds } }");
  const viewer = body.data?.viewer;
  if (!viewer) {
    const error = body.errors?.[0];
    return signedOut(`${error?.extensions?.code ?? "ERROR"}: ${error?.message ?? "sign-in failed"}`);
  }
  notice(null);
  $("sign-in").hidden = true;
  $("controls").hidden = false;
  $("tenant").replaceChildren(...viewer.tenantIds.map((id) => new Option(id, id)));
  const controls = rangeControls($("controls"));
  let generation = 0;
  const show = async () => {
    const run = ++generation; // a newer choice wins over a slower earlier one
    document.body.dataset.ready = "false";
    const tenant = $("tenant").value;
    const info = await tenantRange(tenant);
    if (run !== generation) return;
    if (!info?.dataRange) return notice(`${tenant} has no data yet`);
    notice(null);
    const ctx = { tenant, ...controls.read(info.dataRange), history: lastDays(info.dataRange, 90), tier: viewer.tier };
    document.body.dataset.range = `${ctx.range.from}..${ctx.range.to}`;
    const main = $("widgets");
    main.replaceChildren();
    await Promise.all(WIDGETS.map((widget) => renderWidget(main, widget, ctx, client)));
    if (run === generation) document.body.dataset.ready = "true";
  };
  $("controls").onsubmit = (event) => { event.preventDefault(); show(); };
  $("tenant").onchange = () => { controls.reset(); show(); };
  $("sign-out").onclick = () => signedOut(null);
  await show();
}

$("sign-in").onsubmit = (event) => {
  event.preventDefault();
  token = $("token").value.trim();
  storeToken(token);
  start();
};

if (token) start(); else signedOut(null);
