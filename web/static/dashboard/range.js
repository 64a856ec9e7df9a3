// The range picker: a preset (last N days of the tenant's data) or custom dates, and the
// granularity that keeps a trend readable (days up to 120 days, then weeks).
import { lastDays } from "/static/shared/dates.js";

const daysBetween = (range) => (Date.parse(range.to) - Date.parse(range.from)) / 86400000 + 1;

export function rangeControls(form) {
  const { preset, from, to } = form.elements;
  preset.onchange = () => { if (preset.value !== "custom") { from.value = ""; to.value = ""; } };
  return {
    reset() { if (preset.value === "custom") preset.value = "30"; from.value = ""; to.value = ""; },
    read(dataRange) {
      let range = from.value && to.value ? { from: from.value, to: to.value } : lastDays(dataRange, Number(preset.value) || 30);
      if (from.value && to.value) preset.value = "custom";
      from.value = range.from;
      to.value = range.to;
      return { range, granularity: daysBetween(range) > 120 ? "WEEK" : "DAY" };
    },
  };
}
