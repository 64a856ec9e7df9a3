// Number formatting shared by the widgets (en-US grouping, so tests can read it back).
const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat("en-US", { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });

export const formats = {
  integer: (v) => integer.format(v),
  money: (v, currency) => `${currency ?? ""} ${decimal.format(Number(v))}`.trim(),
  ratio: (v) => percent.format(v),
  score: (v) => decimal.format(v),
};

export function show(value, format, currency) {
  return value === null || value === undefined ? "–" : formats[format](value, currency);
}

// previous-period change as a signed percentage; null when there is nothing to compare with
export function delta(current, previous) {
  if (current == null || previous == null || Number(previous) === 0) return null;
  return (Number(current) - Number(previous)) / Math.abs(Number(previous));
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}
