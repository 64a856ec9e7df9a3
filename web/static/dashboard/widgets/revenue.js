// Revenue per period over the range, with the anomalies of the same series marked on it.
// Two requests: anomalies need PROFESSIONAL, and their FORBIDDEN must not hide the trend.
import { COLORS, chart } from "/static/dashboard/charts.js";
import { el } from "/static/dashboard/format.js";

const SERIES = `query DashboardRevenue($tenant: ID!, $range: DateRange!, $granularity: Granularity!) {
  tenant(id: $tenant) { currency series(metric: REVENUE, range: $range, granularity: $granularity) { start value } }
}`;
const ANOMALIES = `query DashboardAnomalies($tenant: ID!, $range: DateRange!, $granularity: Granularity!) {
  tenant(id: $tenant) { anomalies(metric: REVENUE, range: $range, granularity: $granularity) { start value expected lower upper score } }
}`;

export default {
  id: "revenue",
  title: "Revenue trend and anomalies",
  wide: true,
  requests: ({ tenant, range, granularity }) => ({
    series: { query: SERIES, variables: { tenant, range, granularity } },
    anomalies: { query: ANOMALIES, variables: { tenant, range, granularity } },
  }),
  render(body, { series, anomalies }, ctx) {
    const tenant = series.data?.tenant;
    if (!tenant?.series) return;
    const found = anomalies.data?.tenant?.anomalies;
    const marked = new Map((found ?? []).map((a) => [a.start, a]));
    chart(body, {
      type: "line",
      data: {
        labels: tenant.series.map((p) => p.start),
        datasets: [
          { label: `Revenue (${tenant.currency}) per ${ctx.granularity.toLowerCase()}`, data: tenant.series.map((p) => p.value),
            borderColor: COLORS.main, pointRadius: 0, borderWidth: 1.5 },
          { label: "Anomaly", data: tenant.series.map((p) => (marked.has(p.start) ? p.value : null)),
            borderColor: COLORS.alert, backgroundColor: COLORS.alert, showLine: false, pointRadius: 5 },
        ],
      },
    }, "revenue");
    const note = found
      ? `${found.length} anomal${found.length === 1 ? "y" : "ies"} in the range (outside what the history predicts)`
      : "anomalies unavailable (see the error above)";
    body.append(el("p", { class: "note", "data-anomalies": found?.length ?? "", text: note }));
  },
};
