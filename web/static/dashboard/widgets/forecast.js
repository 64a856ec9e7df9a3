// The next 30 days of revenue after the data ends, with 80 % and 95 % bands, next to the
// last 90 days of actuals, and how the same model scored on held-out history (backtest).
import { COLORS, chart } from "/static/dashboard/charts.js";
import { el, formats, show } from "/static/dashboard/format.js";

export const HORIZON = 30;

function backtestTable(backtest) {
  if (!backtest) return el("p", { class: "note", text: "no backtest: the history is too short to hold out a test window" });
  const rows = [
    ["held-out days", String(backtest.holdoutPoints)],
    ["sMAPE", show(backtest.smape, "score")],
    ["MAPE", show(backtest.mape, "score")],
    ["MASE (below 1 beats seasonal naive)", show(backtest.mase, "score")],
    [`baseline ${backtest.baselineModel} sMAPE`, show(backtest.baselineSmape, "score")],
  ];
  return el("table", { "data-backtest": "" }, ...rows.map(([k, v]) => el("tr", {}, el("td", { text: k }), el("td", { text: v }))));
}

const QUERY = `query DashboardForecast($tenant: ID!, $history: DateRange!, $horizon: Int!) {
  tenant(id: $tenant) {
    currency
    series(metric: REVENUE, range: $history, granularity: DAY) { start value }
    forecast(metric: REVENUE, horizon: $horizon, granularity: DAY) {
      model historyPoints
      points { start value lower80 upper80 lower95 upper95 }
      backtest { holdoutPoints mape smape mase baselineModel baselineSmape }
    }
  }
}`;

export default {
  id: "forecast",
  title: `Revenue forecast (${HORIZON} days) and backtest`,
  wide: true,
  requests: ({ tenant, history }) => ({ main: { query: QUERY, variables: { tenant, history, horizon: HORIZON } } }),
  render(body, { main: { data } }) {
    const tenant = data?.tenant;
    const points = tenant?.forecast?.points;
    if (!tenant?.series || !points) return;
    const past = tenant.series.map((p) => p.value);
    const gap = past.map(() => null);
    const band = (key) => [...gap, ...points.map((p) => p[key])];
    chart(body, {
      type: "line",
      data: {
        labels: [...tenant.series.map((p) => p.start), ...points.map((p) => p.start)],
        datasets: [
          { label: "Actual", data: [...past, ...points.map(() => null)], borderColor: COLORS.second, pointRadius: 0, borderWidth: 1.5 },
          { label: "Forecast", data: band("value"), borderColor: COLORS.main, pointRadius: 0, borderWidth: 2 },
          { label: "95 %", data: band("upper95"), borderWidth: 0, pointRadius: 0, backgroundColor: COLORS.band95, fill: "+1" },
          { label: "95 % low", data: band("lower95"), borderWidth: 0, pointRadius: 0 },
          { label: "80 %", data: band("upper80"), borderWidth: 0, pointRadius: 0, backgroundColor: COLORS.band80, fill: "+1" },
          { label: "80 % low", data: band("lower80"), borderWidth: 0, pointRadius: 0 },
        ],
      },
      options: { plugins: { legend: { labels: { filter: (item) => !item.text.endsWith(" low") } } } },
    }, "forecast");
    const f = tenant.forecast;
    body.append(el("p", { class: "note", text: `model ${f.model}, fitted on ${formats.integer(f.historyPoints)} days (${tenant.currency})` }));
    body.append(backtestTable(f.backtest));
  },
};
