/** Calls/s and events/s over the last minutes, drawn on canvases (no chart library). */
import type { RatePoint } from '../../src/protocol.js';
import { $ } from '../dom.js';
import { RATE_WINDOW, type Store } from '../store.js';

export function renderCharts(store: Store): void {
  const last = store.rates.at(-1);
  $('cps-now').textContent = String(last?.calls ?? 0);
  $('eps-now').textContent = String(last?.events ?? 0);
  $('total-cps').textContent = String(last?.calls ?? 0);
  $('total-eps').textContent = String(last?.events ?? 0);
  draw($('chart-calls') as HTMLCanvasElement, store.rates, (p) => p.calls, '#4fd1c5');
  draw($('chart-events') as HTMLCanvasElement, store.rates, (p) => p.events, '#f6ad55');
}

function draw(canvas: HTMLCanvasElement, points: RatePoint[], value: (p: RatePoint) => number, color: string): void {
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width;
  const hgt = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(hgt * ratio);
  }
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, hgt);
  const max = Math.max(1, ...points.map(value));
  const top = niceCeil(max);
  const pad = { l: 34, r: 6, t: 8, b: 16 };
  const pw = w - pad.l - pad.r;
  const ph = hgt - pad.t - pad.b;
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#8a94a6';
  ctx.strokeStyle = '#2a3242';
  ctx.lineWidth = 1;
  for (const f of [0, 0.5, 1]) {
    const y = pad.t + ph * (1 - f);
    ctx.beginPath();
    ctx.moveTo(pad.l, y);
    ctx.lineTo(w - pad.r, y);
    ctx.stroke();
    ctx.fillText(label(top * f), 4, y + 4);
  }
  ctx.fillText(`-${RATE_WINDOW / 60} min`, pad.l, hgt - 3);
  ctx.fillText('now', w - pad.r - 22, hgt - 3);
  if (points.length === 0) return;
  const step = pw / (RATE_WINDOW - 1);
  const x0 = pad.l + pw - step * (points.length - 1);
  ctx.beginPath();
  points.forEach((p, i) => {
    const x = x0 + i * step;
    const y = pad.t + ph * (1 - value(p) / top);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.stroke();
  ctx.lineTo(x0 + (points.length - 1) * step, pad.t + ph);
  ctx.lineTo(x0, pad.t + ph);
  ctx.closePath();
  ctx.globalAlpha = 0.15;
  ctx.fillStyle = color;
  ctx.fill();
  ctx.globalAlpha = 1;
}

function label(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function niceCeil(n: number): number {
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (n <= m * p) return m * p;
  return 10 * p;
}
