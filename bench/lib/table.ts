/** Markdown tables for stdout and docs: column names, right-aligned numbers. */

export type Cell = string | number;

export interface Column {
  title: string;
  /** Right-align (numbers). @default false */
  right?: boolean;
}

export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

export function ms(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return n < 1 ? n.toFixed(3) : n < 100 ? n.toFixed(2) : n.toFixed(0);
}

export function ratio(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}x` : '–';
}

export function pct(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(0)}%` : '–';
}

export function markdownTable(columns: readonly Column[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => r.map((c) => String(c)));
  const widths = columns.map((c, i) => Math.max(c.title.length, 3, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (columns[i]?.right === true ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${columns.map((c, i) => (c.right === true ? `${'-'.repeat(widths[i]! + 1)}:` : '-'.repeat(widths[i]! + 2))).join('|')}|`;
  return [line(columns.map((c) => c.title)), rule, ...text.map(line)].join('\n');
}
