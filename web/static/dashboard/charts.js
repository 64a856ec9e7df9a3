// Thin helpers over the vendored Chart.js UMD global `Chart`: one chart per widget canvas.
import { el } from "/static/dashboard/format.js";

export const COLORS = { main: "#2563eb", second: "#94a3b8", alert: "#dc2626", band80: "rgba(37,99,235,0.25)", band95: "rgba(37,99,235,0.12)" };

export function chart(body, config, name = "chart") {
  const canvas = el("canvas", { "data-chart": name });
  body.append(el("div", { class: "chart" }, canvas));
  return new Chart(canvas, {
    ...config,
    options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options },
  });
}
