// Which campaign brought the bookings: last touch within 30 days, by utm_campaign.
import { COLORS, chart } from "/static/dashboard/charts.js";
import { el, formats, show } from "/static/dashboard/format.js";

const QUERY = `query DashboardAttribution($tenant: ID!, $range: DateRange!) {
  tenant(id: $tenant) {
    attribution(model: LAST_TOUCH, by: UTM_CAMPAIGN, range: $range, lookbackDays: 30) {
      key bookings revenue { amount currency } share
    }
  }
}`;

export default {
  id: "attribution",
  title: "Bookings by campaign (last touch, 30 days)",
  requests: ({ tenant, range }) => ({ main: { query: QUERY, variables: { tenant, range } } }),
  render(body, { main: { data } }) {
    const rows = data?.tenant?.attribution;
    if (!rows) return;
    chart(body, {
      type: "bar",
      data: { labels: rows.map((r) => r.key), datasets: [{ label: "Bookings", data: rows.map((r) => r.bookings), backgroundColor: COLORS.main }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } } },
    }, "attribution");
    const lines = rows.map((r) => el("tr", { "data-key": r.key, "data-revenue": r.revenue.amount },
      el("td", { text: r.key }), el("td", { text: formats.integer(r.bookings) }),
      el("td", { text: formats.money(r.revenue.amount, r.revenue.currency) }), el("td", { text: show(r.share, "ratio") })));
    body.append(el("table", {}, el("tr", {}, el("th", { text: "campaign" }), el("th", { text: "bookings" }),
      el("th", { text: "revenue" }), el("th", { text: "share" })), ...lines));
  },
};
