// Where the tenant stands among its segment's peers over the whole calendar months of the range
// (benchmarks compare whole months), one request and row per metric: a metric
// without enough peers (INSUFFICIENT_PEERS) or outside the tier (FORBIDDEN) shows its own error.
import { el, show } from "/static/dashboard/format.js";
import { wholeMonths } from "/static/shared/dates.js";

export const METRICS = [
  ["CONVERSION_RATE", "ratio"],
  ["AVERAGE_BOOKING_VALUE", "score"],
  ["CANCELLATION_RATE", "ratio"],
  ["NPS", "score"],
];

const QUERY = `query DashboardBenchmark($tenant: ID!, $range: DateRange!, $metric: Metric!) {
  tenant(id: $tenant) {
    benchmark(metric: $metric, range: $range) { metric value peerGroup peerCount percentile p25 median p75 }
  }
}`;

function row(metric, format, { data, errors }) {
  const b = data?.tenant?.benchmark;
  if (!b) {
    const code = errors[0]?.extensions?.code ?? "NO_DATA";
    return el("tr", { "data-metric": metric, "data-error": code }, el("td", { text: metric }),
      el("td", { colspan: "6", class: "errors" }, el("code", { text: code })));
  }
  const cells = [b.value, b.p25, b.median, b.p75].map((v) => el("td", { text: show(v, format) }));
  return el("tr", { "data-metric": metric, "data-value": b.value ?? "", "data-percentile": b.percentile },
    el("td", { text: metric }), ...cells, el("td", { text: show(b.percentile, "score") }),
    el("td", { text: `${b.peerCount} (${b.peerGroup})` }));
}

export default {
  id: "benchmark",
  title: "Peer benchmark",
  wide: true,
  requests: ({ tenant, range }) =>
    Object.fromEntries(METRICS.map(([metric]) => [metric, { query: QUERY, variables: { tenant, range: wholeMonths(range), metric } }])),
  render(body, results, { range }) {
    const months = wholeMonths(range);
    body.append(el("p", { class: "note", "data-range": `${months.from}..${months.to}`,
      text: `whole months ${months.from} to ${months.to}, against peers of the same segment` }));
    const head = el("tr", {}, ...["metric", "value", "p25", "median", "p75", "percentile", "peers"].map((t) => el("th", { text: t })));
    body.append(el("table", {}, head, ...METRICS.map(([metric, format]) => row(metric, format, results[metric]))));
  },
};
