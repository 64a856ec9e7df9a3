// The last `days` days of a tenant's data (clipped to its first day), as a DateRange.
export function lastDays(dataRange, days) {
  const to = new Date(`${dataRange.to}T00:00:00Z`);
  const first = new Date(to.getTime() - (days - 1) * 86400000).toISOString().slice(0, 10);
  return { from: first < dataRange.from ? dataRange.from : first, to: dataRange.to };
}

const iso = (d) => d.toISOString().slice(0, 10);
const utc = (text) => new Date(`${text}T00:00:00Z`);

// The whole calendar months inside `range` (benchmarks compare whole months); when it holds
// none, the last whole month that ends on or before `range.to`.
export function wholeMonths(range) {
  const from = utc(range.from);
  const to = utc(range.to);
  const first = from.getUTCDate() === 1 ? from : new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
  const afterTo = new Date(to.getTime() + 86400000);
  const last = afterTo.getUTCDate() === 1 ? to : new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), 0));
  if (first <= last) return { from: iso(first), to: iso(last) };
  return { from: iso(new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), 1))), to: iso(last) };
}

// The calendar months ending with the one that holds `to`: `months` of them, the first from
// its 1st day (retention cohorts are whole months, the last one up to `to`).
export function monthsUpTo(to, months) {
  const end = utc(to);
  const first = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - (months - 1), 1));
  return { from: iso(first), to };
}
