// The booking funnel per device: each session counted in the segment of its first pageview.
import { COLORS, chart } from "/static/dashboard/charts.js";
import { el, formats } from "/static/dashboard/format.js";

const QUERY = `query DashboardSegments($tenant: ID!, $range: DateRange!) {
  tenant(id: $tenant) { funnelBy(by: DEVICE, range: $range) { key steps { step sessions } } }
}`;
const PALETTE = [COLORS.main, COLORS.second, "#f59e0b", "#10b981", "#8b5cf6"];

export default {
  id: "segments",
  title: "Booking funnel by device",
  requests: ({ tenant, range }) => ({ main: { query: QUERY, variables: { tenant, range } } }),
  render(body, { main: { data } }) {
    const segments = data?.tenant?.funnelBy;
    if (!segments) return;
    const steps = segments[0]?.steps.map((s) => s.step) ?? [];
    chart(body, {
      type: "bar",
      data: {
        labels: steps,
        datasets: segments.map((segment, i) => ({
          label: segment.key, data: segment.steps.map((s) => s.sessions), backgroundColor: PALETTE[i % PALETTE.length],
        })),
      },
    }, "segments");
    const booked = segments.map((s) => `${s.key} ${formats.integer(s.steps.at(-1).sessions)} of ${formats.integer(s.steps[0].sessions)}`);
    body.append(el("p", { class: "note", text: `confirmations of landings: ${booked.join(" · ")}` }));
  },
};
