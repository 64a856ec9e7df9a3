// Sessions reaching each booking step and the conversion from the step before.
import { COLORS, chart } from "/static/dashboard/charts.js";
import { el, formats, show } from "/static/dashboard/format.js";

const QUERY = `query DashboardFunnel($tenant: ID!, $range: DateRange!) {
  tenant(id: $tenant) { funnel(range: $range) { step sessions conversionFromPrevious } }
}`;

export default {
  id: "funnel",
  title: "Booking funnel",
  requests: ({ tenant, range }) => ({ main: { query: QUERY, variables: { tenant, range } } }),
  render(body, { main: { data } }) {
    const steps = data?.tenant?.funnel;
    if (!steps) return;
    chart(body, {
      type: "bar",
      data: { labels: steps.map((s) => s.step), datasets: [{ label: "Sessions", data: steps.map((s) => s.sessions), backgroundColor: COLORS.main }] },
      options: { plugins: { legend: { display: false } } },
    }, "funnel");
    const rows = steps.map((s) => el("tr", { "data-step": s.step },
      el("td", { text: s.step }), el("td", { text: formats.integer(s.sessions) }),
      el("td", { text: show(s.conversionFromPrevious, "ratio") })));
    body.append(el("table", {}, el("tr", {}, el("th", { text: "step" }), el("th", { text: "sessions" }),
      el("th", { text: "from previous" })), ...rows));
  },
};
