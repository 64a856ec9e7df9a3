// The dashboard's widgets, in display order. A widget is
//   { id, title, wide?, requests(ctx) -> { name: { query, variables } }, render(body, results, ctx) }
// where results[name] = { data, errors } of that request. Each request is its own GraphQL
// document (sent as a persisted query), so a field one tier lacks or a benchmark without
// enough peers fails only its own part. Add a widget by adding a module to this list.
import kpis from "/static/dashboard/widgets/kpis.js";
import revenue from "/static/dashboard/widgets/revenue.js";
import channels from "/static/dashboard/widgets/channels.js";
import funnel from "/static/dashboard/widgets/funnel.js";
import forecast from "/static/dashboard/widgets/forecast.js";
import benchmark from "/static/dashboard/widgets/benchmark.js";
import segments from "/static/dashboard/widgets/segments.js";
import attribution from "/static/dashboard/widgets/attribution.js";
import retention from "/static/dashboard/widgets/retention.js";

export const WIDGETS = [kpis, revenue, forecast, channels, funnel, benchmark, segments, attribution, retention];
