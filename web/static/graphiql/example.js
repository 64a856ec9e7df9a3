// The query GraphiQL opens on: the caller's first tenant over the last 30 days of its data.
import { GraphQLClient } from "/static/shared/client.js";
import { lastDays } from "/static/shared/dates.js";

const DISCOVER = `query Discover($id: ID) {
  tenant(id: $id) { id dataRange { from to } }
}`;

export const WITHOUT_TOKEN = `# Open this page as /graphql#token=<your token> (the fragment never reaches the server),
# or paste {"Authorization": "Bearer <token>"} into the Headers tab below.
# Then ask who you are and which tenants you may read:
{
  viewer { subject tier tenantIds }
}
`;

export function exampleQuery(tenantId, range) {
  const r = `{from: "${range.from}", to: "${range.to}"}`;
  return `# Key metrics of ${tenantId} over the last 30 days of its data, with the period before,
# and revenue per day. Press the run button (or Ctrl-Enter).
query Example {
  tenant(id: "${tenantId}") {
    name
    currency
    dataRange { from to }
    metrics(range: ${r}) {
      uniqueVisitors
      sessions
      bookings
      conversionRate
      revenue { amount currency }
      previousPeriod { uniqueVisitors bookings revenue { amount currency } }
    }
    series(metric: REVENUE, range: ${r}, granularity: DAY) { start value }
  }
}
`;
}

export async function discoverExample(token) {
  const client = new GraphQLClient({ headers: () => ({ Authorization: `Bearer ${token}` }) });
  const viewer = await client.request("{ viewer { tenantIds } }");
  const id = viewer.body?.data?.viewer?.tenantIds?.[0];
  if (!id) return WITHOUT_TOKEN;
  const found = await client.request(DISCOVER, { id });
  const range = found.body?.data?.tenant?.dataRange;
  return range ? exampleQuery(id, lastDays(range, 30)) : WITHOUT_TOKEN;
}
