// Key metrics of the range with their change against the equally long period before.
import { delta, el, formats, show } from "/static/dashboard/format.js";

const FIELDS = `uniqueVisitors sessions bookings revenue { amount currency } averageBookingValue { amount currency }
      conversionRate cancellationRate nps`;

export const TILES = [
  ["uniqueVisitors", "Unique visitors", "integer"],
  ["sessions", "Sessions", "integer"],
  ["bookings", "Bookings", "integer"],
  ["revenue", "Revenue", "money"],
  ["averageBookingValue", "Average booking value", "money"],
  ["conversionRate", "Conversion rate", "ratio"],
  ["cancellationRate", "Cancellation rate", "ratio"],
  ["nps", "NPS", "score"],
];

const amount = (v) => (v && typeof v === "object" ? v.amount : v);

function tile([field, label, format], current, previous) {
  const value = amount(current[field]);
  const change = delta(value, amount(previous?.[field]));
  const direction = change === null ? "flat" : change > 0 ? "up" : change < 0 ? "down" : "flat";
  const deltaText = change === null ? "no previous value" : `${change > 0 ? "+" : ""}${formats.ratio(change)} vs previous period`;
  return el("div", { class: "tile", "data-field": field, "data-value": value ?? "" },
    el("div", { class: "label", text: label }),
    el("div", { class: "value", text: show(value, format, current[field]?.currency) }),
    el("div", { class: `delta ${direction}`, "data-delta": change ?? "", text: deltaText }));
}

const QUERY = `query DashboardKpis($tenant: ID!, $range: DateRange!) {
  tenant(id: $tenant) {
    metrics(range: $range) {
      ${FIELDS}
      previousPeriod { ${FIELDS} }
    }
  }
}`;

export default {
  id: "kpis",
  title: "Key metrics",
  wide: true,
  requests: ({ tenant, range }) => ({ main: { query: QUERY, variables: { tenant, range } } }),
  render(body, { main: { data } }) {
    const metrics = data?.tenant?.metrics;
    if (!metrics) return;
    body.append(el("div", { class: "tiles" }, ...TILES.map((t) => tile(t, metrics, metrics.previousPeriod))));
  },
};
