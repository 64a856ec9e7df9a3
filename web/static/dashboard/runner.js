// One card per widget: run its requests, list every error with its code, then let it render.
import { el } from "/static/dashboard/format.js";

function errorLine(name, error) {
  const code = error.extensions?.code ?? "ERROR";
  const where = error.path ? ` at ${error.path.join(".")}` : "";
  return el("li", { "data-code": code }, el("code", { text: code }), ` ${error.message}${where}${name === "main" ? "" : ` (${name})`}`);
}

export async function renderWidget(main, widget, ctx, client) {
  const body = el("div", { class: "body" });
  const errors = el("ul", { class: "errors" });
  const card = el("section", { class: `widget${widget.wide ? " wide" : ""}`, "data-widget": widget.id, "data-state": "loading" },
    el("h2", { text: widget.title }), errors, body);
  main.append(card);
  const requests = Object.entries(widget.requests(ctx));
  const answers = await Promise.all(requests.map(([, { query, variables }]) => client.request(query, variables).catch(
    (error) => ({ body: { errors: [{ message: String(error), extensions: { code: "NETWORK_ERROR" } }] } }))));
  const results = {};
  requests.forEach(([name], i) => {
    const { body: answer } = answers[i];
    results[name] = { data: answer.data ?? null, errors: answer.errors ?? [] };
    errors.append(...results[name].errors.map((error) => errorLine(name, error)));
  });
  try {
    widget.render(body, results, ctx);
  } catch (error) {
    errors.append(errorLine("render", { message: String(error), extensions: { code: "RENDER_ERROR" } }));
  }
  card.dataset.state = !errors.childElementCount ? "ready" : body.childElementCount ? "partial" : "error";
}
