// Do guests come back? Monthly cohorts of first bookings and the share booking again later,
// as a heat map. FREE ranges are at most 93 days, so FREE sees the last 3 months.
import { el, formats } from "/static/dashboard/format.js";
import { monthsUpTo } from "/static/shared/dates.js";

const QUERY = `query DashboardRetention($tenant: ID!, $range: DateRange!) {
  tenant(id: $tenant) { retention(range: $range, granularity: MONTH) { start customers returning } }
}`;

function cohortRange({ range, tier }) {
  return monthsUpTo(range.to, tier === "FREE" ? 3 : 12);
}

export default {
  id: "retention",
  title: "Returning customers by first-booking month",
  wide: true,
  requests: (ctx) => ({ main: { query: QUERY, variables: { tenant: ctx.tenant, range: cohortRange(ctx) } } }),
  render(body, { main: { data } }, ctx) {
    const cohorts = data?.tenant?.retention;
    if (!cohorts) return;
    const range = cohortRange(ctx);
    const width = Math.max(0, cohorts.length - 1);
    const head = el("tr", {}, el("th", { text: "cohort" }), el("th", { text: "customers" }),
      ...Array.from({ length: width }, (_, k) => el("th", { text: `+${k + 1}` })));
    const rows = cohorts.map((cohort) => el("tr", { "data-start": cohort.start, "data-customers": cohort.customers },
      el("td", { text: cohort.start.slice(0, 7) }), el("td", { text: formats.integer(cohort.customers) }),
      ...cohort.returning.map((share) => {
        const cell = el("td", { class: "heat", "data-share": share, text: formats.ratio(share) });
        // the heat: darker blue for a larger share (a quarter returning is full colour)
        cell.style.backgroundColor = `rgba(37, 99, 235, ${Math.min(1, share * 4).toFixed(3)})`;
        return cell;
      })));
    body.append(el("table", { class: "retention", "data-range": `${range.from}..${range.to}` }, head, ...rows));
  },
};
