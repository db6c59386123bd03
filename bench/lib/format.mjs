// The report's number formats and its markdown table, shared by its sections.
export const MIB = 1024 * 1024;

export const int = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
export const ms = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
export const mib = (v) => (Number.isFinite(v) ? (v / MIB).toFixed(1) : 'n/a');
export const x = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a');
export const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a');
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function table(head, rows) {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

