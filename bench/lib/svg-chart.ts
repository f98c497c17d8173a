/**
 * A small hand-written SVG chart for docs/benchmarks.md: stacked panels of horizontal bars,
 * linear or log scale, one colour per series with a legend. No charting dependency.
 */

export interface Bar {
  series: string;
  value: number;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

export interface Panel {
  title: string;
  unit: string;
  /** Log scale (latencies spanning decades). @default false */
  log?: boolean;
  groups: BarGroup[];
}

const PALETTE = ['#2563eb', '#16a34a', '#ea580c', '#9333ea', '#dc2626', '#0891b2', '#ca8a04', '#4b5563'];
const WIDTH = 860;
const LABEL_W = 210;
const VALUE_W = 90;
const BAR_H = 14;
const GAP = 10;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number, unit: string): string {
  const n = v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 1 ? v.toFixed(2) : v.toFixed(3);
  return `${n} ${unit}`;
}

function panel(p: Panel, top: number, colors: Map<string, string>): { svg: string; height: number } {
  const plotW = WIDTH - LABEL_W - VALUE_W - 20;
  const values = p.groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => Number.isFinite(v) && v > 0);
  const max = Math.max(...values, 1e-9);
  const min = Math.min(...values, max);
  const lo = p.log === true ? 10 ** Math.floor(Math.log10(min)) : 0;
  const hi = p.log === true ? 10 ** Math.ceil(Math.log10(max)) : max * 1.05;
  const x = (v: number): number => (p.log === true ? ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW : (v / hi) * plotW);
  const parts: string[] = [`<text x="10" y="${top + 16}" class="title">${esc(p.title)}${p.log === true ? ' (log scale)' : ''}</text>`];
  [...colors].forEach(([s, c], i) => {
    parts.push(`<rect x="${LABEL_W + i * 130}" y="${top + 26}" width="10" height="10" fill="${c}"/><text x="${LABEL_W + i * 130 + 14}" y="${top + 35}" class="legend">${esc(s)}</text>`);
  });
  let y = top + 50;
  // Grid: decades on a log scale, quarters otherwise.
  const ticks = p.log === true ? Array.from({ length: Math.round(Math.log10(hi / lo)) + 1 }, (_, i) => lo * 10 ** i) : [0, 0.25, 0.5, 0.75, 1].map((f) => f * hi);
  const rows = p.groups.reduce((n, g) => n + g.bars.length, 0);
  const plotH = rows * (BAR_H + 2) + p.groups.length * GAP;
  for (const t of ticks) {
    const tx = LABEL_W + x(t);
    parts.push(`<line x1="${tx.toFixed(1)}" y1="${y - 4}" x2="${tx.toFixed(1)}" y2="${y + plotH}" class="grid"/>`);
    const label = Number.isInteger(t) ? t.toLocaleString('en-US') : String(Number(t.toPrecision(2)));
    parts.push(`<text x="${tx.toFixed(1)}" y="${y + plotH + 12}" class="tick">${esc(label)}</text>`);
  }
  for (const g of p.groups) {
    const gh = g.bars.length * (BAR_H + 2);
    parts.push(`<text x="${LABEL_W - 8}" y="${(y + gh / 2 + 4).toFixed(1)}" class="label">${esc(g.label)}</text>`);
    for (const b of g.bars) {
      const w = Number.isFinite(b.value) && b.value > 0 ? Math.max(1, x(b.value)) : 0;
      parts.push(`<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${colors.get(b.series) ?? '#888'}"><title>${esc(`${g.label} ${b.series}: ${fmt(b.value, p.unit)}`)}</title></rect>`);
      parts.push(`<text x="${(LABEL_W + w + 4).toFixed(1)}" y="${y + BAR_H - 3}" class="value">${esc(Number.isFinite(b.value) ? fmt(b.value, p.unit) : 'n/a')}</text>`);
      y += BAR_H + 2;
    }
    y += GAP;
  }
  return { svg: parts.join('\n'), height: y - top + 18 };
}

/** The whole chart: panels stacked, each with a legend of its series. */
export function renderChart(title: string, panels: readonly Panel[]): string {
  const body: string[] = [];
  let top = 34;
  for (const p of panels) {
    const series = [...new Set(p.groups.flatMap((g) => g.bars.map((b) => b.series)))];
    const colors = new Map(series.map((s, i) => [s, PALETTE[i % PALETTE.length]!]));
    const out = panel(p, top, colors);
    body.push(out.svg);
    top += out.height + 20;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top}" viewBox="0 0 ${WIDTH} ${top}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    '<style>.title{font-size:14px;font-weight:600;fill:#111}.label{font-size:11px;text-anchor:end;fill:#222}.value{font-size:10px;fill:#333}.tick{font-size:9px;text-anchor:middle;fill:#666}.legend{font-size:11px;fill:#222}.grid{stroke:#e5e7eb;stroke-width:1}.h1{font-size:16px;font-weight:700;fill:#111}</style>',
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" class="h1">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
