/**
 * Charts as SVG strings (no DOM): demand against capacity over time (min/max envelope per pixel
 * column plus the mean line, so a spike is never averaged away) and the distribution of demand.
 * PNG through @resvg/resvg-js.
 */
import { writeFileSync } from 'node:fs';
import { HostopsError } from '../lib/errors.js';

export interface LineSeries {
  name: string;
  values: Float64Array | Float32Array;
  color?: string;
}
export interface TimeChart {
  title: string;
  start: number;
  step: number;
  series: LineSeries[];
  capacity?: { value: number; label: string }[];
  format?: (v: number) => string;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function niceTicks(max: number, n = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / n,
    mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max * 1.0001 + step; v += step) {
    out.push(v);
    if (v >= max) break;
  }
  return out;
}

function frame(w: number, h: number, title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    `<text x="${w / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>${body}</svg>\n`
  );
}

export function timeChartSvg(c: TimeChart): string {
  const W = c.width ?? 1000,
    H = c.height ?? 420,
    L = 80,
    R = 40,
    T = 36,
    B = 60;
  const pw = W - L - R,
    ph = H - T - B;
  const fmt = c.format ?? ((v: number) => v.toPrecision(3));
  const len = Math.max(0, ...c.series.map((s) => s.values.length));
  let max = 0;
  for (const s of c.series)
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (v === v && v > max) max = v;
    }
  for (const cap of c.capacity ?? []) max = Math.max(max, cap.value);
  const ticks = niceTicks(max * 1.05);
  const ymax = ticks[ticks.length - 1] || 1;
  const y = (v: number) => T + ph - (v / ymax) * ph;
  const cols = Math.max(1, Math.min(pw, len));
  let body = '';
  for (const tv of ticks)
    body += `<line x1="${L}" x2="${L + pw}" y1="${y(tv).toFixed(1)}" y2="${y(tv).toFixed(1)}" stroke="#e0e0e0"/><text x="${L - 6}" y="${(y(tv) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(tv))}</text>`;
  // time axis: up to 8 labels
  const span = len * c.step;
  for (let k = 0; k <= 7; k++) {
    const t = c.start + (span * k) / 7,
      x = L + (pw * k) / 7;
    const d = new Date(t * 1000).toISOString();
    const label = span > 3 * 86400 ? d.slice(5, 10) : d.slice(5, 16).replace('T', ' ');
    body += `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${T + ph}" y2="${T + ph + 4}" stroke="#333"/><text x="${x.toFixed(1)}" y="${T + ph + 18}" text-anchor="middle">${esc(label)}</text>`;
  }
  body += `<text x="${L + pw / 2}" y="${H - 24}" text-anchor="middle" fill="#555">UTC, step ${c.step} s; band = min..max per pixel, line = mean</text>`;
  c.series.forEach((s, si) => {
    const color = s.color ?? COLORS[si % COLORS.length];
    const top: string[] = [],
      bot: string[] = [],
      mid: string[] = [];
    let path = '';
    for (let col = 0; col < cols; col++) {
      const a = Math.floor((col * s.values.length) / cols),
        b = Math.max(a + 1, Math.floor(((col + 1) * s.values.length) / cols));
      let mn = Infinity,
        mx = -Infinity,
        sum = 0,
        n = 0;
      for (let i = a; i < b && i < s.values.length; i++) {
        const v = s.values[i];
        if (v === v) {
          n++;
          sum += v;
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
      }
      const x = (L + ((col + 0.5) * pw) / cols).toFixed(1);
      if (!n) {
        if (mid.length) {
          path += 'M' + mid.join('L');
          mid.length = 0;
        }
        continue;
      }
      top.push(`${x},${y(mx).toFixed(1)}`);
      bot.push(`${x},${y(mn).toFixed(1)}`);
      mid.push(`${x},${y(sum / n).toFixed(1)}`);
    }
    if (mid.length) path += 'M' + mid.join('L');
    if (top.length)
      body += `<polygon points="${[...top, ...bot.reverse()].join(' ')}" fill="${color}" fill-opacity="0.25" stroke="none"/>`;
    if (path) body += `<path d="${path}" fill="none" stroke="${color}" stroke-width="1.2"/>`;
    body += `<rect x="${L + 10 + si * 170}" y="${H - 14}" width="10" height="10" fill="${color}"/><text x="${L + 24 + si * 170}" y="${H - 5}">${esc(s.name.slice(0, 22))}</text>`;
  });
  for (const cap of c.capacity ?? []) {
    body +=
      `<line x1="${L}" x2="${L + pw}" y1="${y(cap.value).toFixed(1)}" y2="${y(cap.value).toFixed(1)}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6,4"/>` +
      `<text x="${L + pw - 4}" y="${(y(cap.value) - 4).toFixed(1)}" text-anchor="end" fill="#d62728">${esc(cap.label)}</text>`;
  }
  body += `<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`;
  return frame(W, H, c.title, body);
}

export interface HistChart {
  title: string;
  values: Float64Array | Float32Array;
  capacity?: { value: number; label: string }[];
  format?: (v: number) => string;
  bins?: number;
  width?: number;
  height?: number;
}

export function histogramSvg(c: HistChart): string {
  const W = c.width ?? 1000,
    H = c.height ?? 380,
    L = 70,
    R = 40,
    T = 36,
    B = 50;
  const pw = W - L - R,
    ph = H - T - B;
  const fmt = c.format ?? ((v: number) => v.toPrecision(3));
  let max = 0,
    n = 0;
  for (let i = 0; i < c.values.length; i++) {
    const v = c.values[i];
    if (v === v) {
      n++;
      if (v > max) max = v;
    }
  }
  for (const cap of c.capacity ?? []) max = Math.max(max, cap.value);
  const xt = niceTicks(max * 1.02, 8);
  const xmax = xt[xt.length - 1] || 1;
  const bins = c.bins ?? 60;
  const counts = new Float64Array(bins);
  for (let i = 0; i < c.values.length; i++) {
    const v = c.values[i];
    if (v === v) counts[Math.min(bins - 1, Math.floor((v / xmax) * bins))]++;
  }
  const cmax = Math.max(...counts, 1);
  const x = (v: number) => L + (v / xmax) * pw;
  let body = '';
  for (let b = 0; b < bins; b++) {
    const h = (counts[b] / cmax) * ph;
    body += `<rect x="${(L + (b * pw) / bins).toFixed(1)}" y="${(T + ph - h).toFixed(1)}" width="${(pw / bins - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#1f77b4"/>`;
  }
  for (const tv of xt)
    body += `<text x="${x(tv).toFixed(1)}" y="${T + ph + 16}" text-anchor="middle">${esc(fmt(tv))}</text>`;
  body += `<text x="${L - 6}" y="${T + 10}" text-anchor="end">${((cmax / Math.max(n, 1)) * 100).toFixed(1)}%</text><text x="${L - 6}" y="${T + ph}" text-anchor="end">0</text>`;
  body += `<text x="${L + pw / 2}" y="${H - 12}" text-anchor="middle" fill="#555">share of ${n} samples per bin</text>`;
  for (const cap of c.capacity ?? []) {
    body +=
      `<line x1="${x(cap.value).toFixed(1)}" x2="${x(cap.value).toFixed(1)}" y1="${T}" y2="${T + ph}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6,4"/>` +
      `<text x="${(x(cap.value) - 4).toFixed(1)}" y="${T + 14}" text-anchor="end" fill="#d62728">${esc(cap.label)}</text>`;
  }
  body += `<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`;
  return frame(W, H, c.title, body);
}

/** Stack SVG documents vertically into one. */
export function stackSvg(parts: string[]): string {
  let y = 0,
    w = 0,
    inner = '';
  for (const p of parts) {
    const m = /width="(\d+)" height="(\d+)"/.exec(p);
    const pw = Number(m?.[1] ?? 1000),
      ph = Number(m?.[2] ?? 400);
    inner += `<g transform="translate(0,${y})">${p.replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '')}</g>`;
    y += ph;
    w = Math.max(w, pw);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${y}" viewBox="0 0 ${w} ${y}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">${inner}</svg>\n`;
}

export async function svgToPng(svg: string): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: '#ffffff',
  });
  return r.render().asPng();
}

/** Write an SVG, or a PNG when the path ends in .png. */
export async function writeChart(path: string, svg: string): Promise<void> {
  try {
    if (/\.png$/i.test(path)) writeFileSync(path, await svgToPng(svg));
    else if (/\.svg$/i.test(path)) writeFileSync(path, svg);
    else
      throw new HostopsError('CAPACITY_BAD_CHART', `Chart path ${path} must end in .svg or .png`, {
        where: path,
      });
  } catch (e) {
    if (e instanceof HostopsError) throw e;
    throw new HostopsError(
      'CAPACITY_CHART_FAILED',
      `Cannot write chart ${path}: ${(e as Error).message}`,
      { where: path },
    );
  }
}
