// Sessions split by acquisition channel, largest first.
import { COLORS, chart } from "/static/dashboard/charts.js";
import { el, formats } from "/static/dashboard/format.js";

const QUERY = `query DashboardChannels($tenant: ID!, $range: DateRange!) {
  tenant(id: $tenant) {
    breakdown(metric: SESSIONS, by: CHANNEL, range: $range) { key value share }
  }
}`;

export default {
  id: "channels",
  title: "Sessions by channel",
  requests: ({ tenant, range }) => ({ main: { query: QUERY, variables: { tenant, range } } }),
  render(body, { main: { data } }) {
    const rows = data?.tenant?.breakdown;
    if (!rows) return;
    chart(body, {
      type: "bar",
      data: { labels: rows.map((r) => r.key), datasets: [{ label: "Sessions", data: rows.map((r) => r.value), backgroundColor: COLORS.main }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } } },
    }, "channels");
    body.append(el("p", { class: "note", text: rows.map((r) => `${r.key} ${r.share == null ? "–" : formats.ratio(r.share)}`).join(" · ") }));
  },
};
