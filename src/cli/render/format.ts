/** Number formatting shared by every table: grouped digits, fixed decimals, percentages. */

export function formatInt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const neg = n < 0;
  const digits = Math.round(Math.abs(n)).toString();
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return neg ? `-${out}` : out;
}

export function formatNumber(n: number): string {
  return Number.isInteger(n) ? formatInt(n) : n.toFixed(2);
}

export function formatPercent(fraction: number, decimals = 1): string {
  return `${(fraction * 100).toFixed(decimals)}%`;
}

/** A ratio such as peak-to-average; keeps enough digits to show tiny imbalances. */
export function formatRatio(x: number): string {
  if (x === 0 || x === 1) return x.toFixed(4);
  const abs = Math.abs(x);
  return abs >= 0.001 ? x.toFixed(4) : x.toExponential(2);
}

/** Rates below 100/s keep a decimal: an idle CPU's 0.4/s is not 0. */
export function formatRate(n: number): string {
  return n < 100 ? n.toFixed(1) : formatInt(n);
}

/** "1 IRQ", "2 IRQs", "0 IRQs": a count and its noun, agreeing. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
