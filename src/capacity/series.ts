/**
 * Time series as used by the capacity math. Raw series come from the input parsers with their own
 * timestamps; everything is aligned to one common grid (start, step, length) before any sum is taken,
 * because a sum of unaligned series is meaningless. NaN marks a gap: never a zero.
 */
import { HostopsError } from '../lib/errors.js';

/** Unit of the values of a series, as far as the source says. */
export type SeriesUnit = 'bit/s' | 'B/s' | 'B' | 'count' | 'percent' | 'unknown';

/** One parsed series, timestamps in epoch seconds, ascending after `sortRaw`. */
export interface RawSeries {
  name: string;
  source: string;
  unit: SeriesUnit;
  times: Float64Array;
  values: Float64Array;
  /**
   * Seconds each value covers, ending at its timestamp ([t - interval, t)). 0 means an instantaneous
   * sample (gauge), held back to the previous sample. Undefined = infer from the sample spacing.
   */
  interval?: number;
  /** Per-point interval when rows differ (MRTG mixes 5-min, 30-min, 2-h and 1-day rows). */
  intervals?: Float64Array;
}

/** A series on a regular grid. values[i] covers [start + i*step, start + (i+1)*step). */
export interface Series {
  name: string;
  unit: SeriesUnit;
  start: number;
  step: number;
  values: Float64Array;
  source?: string;
}

export interface Gap {
  series: string;
  source: string;
  /** Epoch seconds, half-open [from, to). */
  from: number;
  to: number;
  reason: string;
}

export function median(xs: ArrayLike<number>): number {
  const a = Float64Array.from(xs).sort();
  if (a.length === 0) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** Sort by time; duplicate timestamps keep the last value (a re-poll replaces the earlier one). */
export function sortRaw(s: RawSeries): RawSeries {
  const n = s.times.length;
  let sorted = true;
  for (let i = 1; i < n; i++)
    if (s.times[i] <= s.times[i - 1]) {
      sorted = false;
      break;
    }
  if (sorted) return s;
  const idx = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => s.times[a] - s.times[b] || a - b,
  );
  const t: number[] = [],
    v: number[] = [],
    iv: number[] = [];
  for (const i of idx) {
    if (t.length && t[t.length - 1] === s.times[i]) {
      v[v.length - 1] = s.values[i];
      if (s.intervals) iv[iv.length - 1] = s.intervals[i];
      continue;
    }
    t.push(s.times[i]);
    v.push(s.values[i]);
    if (s.intervals) iv.push(s.intervals[i]);
  }
  return {
    ...s,
    times: Float64Array.from(t),
    values: Float64Array.from(v),
    intervals: s.intervals ? Float64Array.from(iv) : undefined,
  };
}

/** The typical sample spacing (median of the differences). */
export function typicalStep(times: ArrayLike<number>): number {
  if (times.length < 2) return NaN;
  const d = new Float64Array(times.length - 1);
  for (let i = 1; i < times.length; i++) d[i - 1] = times[i] - times[i - 1];
  return median(d);
}

export interface AlignOptions {
  step: number;
  start?: number;
  end?: number;
  /** Minimum share of a grid cell the data must cover to give a value (else a gap). Default 0.5. */
  minCoverage?: number;
  /** A gauge sample is held back at most this many seconds; default 2 x the typical spacing. */
  maxHold?: number;
}

/**
 * Time-weighted resample onto a grid. Each raw value covers an interval ending at its timestamp;
 * a grid cell gets the coverage-weighted mean of what overlaps it, or NaN (a stated gap) when less
 * than minCoverage of it is covered.
 */
/** Grid cells per series: 95 years at 5 minutes, 115 days at 1 second. */
export const MAX_GRID_CELLS = 10_000_000;

export function align(raw: RawSeries, opts: AlignOptions): { series: Series; gaps: Gap[] } {
  const s = sortRaw(raw);
  const step = opts.step;
  const n0 = s.times.length;
  const typical = typicalStep(s.times);
  const defInterval = s.interval ?? (Number.isFinite(typical) ? typical : step);
  const maxHold = opts.maxHold ?? 2 * (Number.isFinite(typical) ? typical : step);
  const firstT = n0 ? s.times[0] - (s.intervals ? s.intervals[0] : defInterval || step) : 0;
  const ph = opts.start === undefined ? phaseOf([s], step) : 0;
  const start = opts.start ?? Math.floor((firstT - ph) / step) * step + ph;
  const end = opts.end ?? (n0 ? Math.ceil((s.times[n0 - 1] - ph) / step) * step + ph : start);
  const len = Math.max(0, Math.round((end - start) / step));
  if (len > MAX_GRID_CELLS) {
    // one stray timestamp (a year typo, garbage read as a time) must not make a grid of gigabytes
    const iso = (t: number) =>
      Number.isFinite(t) && Math.abs(t) < 8.64e12 ? new Date(t * 1000).toISOString() : String(t);
    throw new HostopsError(
      'CAPACITY_SPAN_TOO_LONG',
      `${s.name} spans ${iso(start)} .. ${iso(end)}: ${len} steps of ${step} s, more than ${MAX_GRID_CELLS}`,
      { where: s.source ?? s.name },
    );
  }
  const sum = new Float64Array(len);
  const cov = new Float64Array(len);
  for (let i = 0; i < n0; i++) {
    const v = s.values[i];
    if (!Number.isFinite(v)) continue;
    const t1 = s.times[i];
    let iv = s.intervals && Number.isFinite(s.intervals[i]) ? s.intervals[i] : defInterval;
    if (iv === 0) iv = i > 0 ? Math.min(t1 - s.times[i - 1], maxHold) : Math.min(step, maxHold);
    const t0 = t1 - iv;
    let c = Math.max(0, Math.floor((t0 - start) / step));
    for (; c < len; c++) {
      const b0 = start + c * step,
        b1 = b0 + step;
      if (b0 >= t1) break;
      const o = Math.min(t1, b1) - Math.max(t0, b0);
      if (o > 0) {
        sum[c] += v * o;
        cov[c] += o;
      }
    }
  }
  const minCov = (opts.minCoverage ?? 0.5) * step;
  const values = new Float64Array(len);
  const gaps: Gap[] = [];
  let gapFrom = -1;
  for (let c = 0; c <= len; c++) {
    const ok = c < len && cov[c] >= minCov - 1e-9;
    if (c < len) values[c] = ok ? sum[c] / cov[c] : NaN;
    if (!ok && c < len && gapFrom < 0) gapFrom = c;
    if ((ok || c === len) && gapFrom >= 0) {
      gaps.push({
        series: s.name,
        source: s.source,
        from: start + gapFrom * step,
        to: start + c * step,
        reason: 'no samples',
      });
      gapFrom = -1;
    }
  }
  return { series: { name: s.name, unit: s.unit, start, step, values, source: s.source }, gaps };
}

/** Common grid for many raw series: the finest sensible step unless given, union of their spans. */
export function commonGrid(
  raws: RawSeries[],
  step?: number,
): { start: number; end: number; step: number } {
  let st = step ?? 0;
  if (!st) {
    const steps = raws
      .map((r) => r.interval || typicalStep(r.times))
      .filter((x) => Number.isFinite(x) && x > 0);
    st = steps.length ? Math.max(...steps) : 300;
  }
  let lo = Infinity,
    hi = -Infinity;
  for (const r of raws) {
    if (!r.times.length) continue;
    let a = Infinity,
      b = -Infinity;
    for (let i = 0; i < r.times.length; i++) {
      if (r.times[i] < a) a = r.times[i];
      if (r.times[i] > b) b = r.times[i];
    }
    const iv = r.intervals ? Math.max(...r.intervals) : r.interval || typicalStep(r.times) || st;
    lo = Math.min(lo, a - iv);
    hi = Math.max(hi, b);
  }
  if (!Number.isFinite(lo)) return { start: 0, end: 0, step: st };
  const ph = phaseOf(raws, st);
  return {
    start: Math.floor((lo - ph) / st) * st + ph,
    end: Math.ceil((hi - ph) / st) * st + ph,
    step: st,
  };
}

/**
 * The offset of the grid from multiples of the step. Prometheus evaluates a range query at
 * start + k*step, and a start with a fraction of a second (1700000000.35) puts every sample off
 * whole seconds: a grid on multiples of the step would split each sample over two cells and blend
 * the peaks. When every timestamp of every series sits at one offset, the grid takes it; else 0.
 */
export function phaseOf(raws: RawSeries[], step: number): number {
  let ph = NaN;
  for (const r of raws) {
    for (let i = 0; i < r.times.length; i++) {
      const p = ((r.times[i] % step) + step) % step;
      if (ph !== ph) {
        ph = p;
        continue;
      }
      const d = Math.abs(p - ph);
      if (Math.min(d, step - d) > 1e-3) return 0;
    }
  }
  return ph === ph && Math.min(ph, step - ph) > 1e-3 ? ph : 0;
}

/** Align several raw series onto one grid. */
export function alignAll(
  raws: RawSeries[],
  step?: number,
): { series: Series[]; gaps: Gap[]; start: number; step: number; length: number } {
  const g = commonGrid(raws, step);
  const out: Series[] = [];
  const gaps: Gap[] = [];
  for (const r of raws) {
    const a = align(r, { step: g.step, start: g.start, end: g.end });
    out.push(a.series);
    for (const g of a.gaps) gaps.push(g);
  }
  return {
    series: out,
    gaps,
    start: g.start,
    step: g.step,
    length: Math.round((g.end - g.start) / g.step),
  };
}

/** Multiply values (unit conversion), returning a new raw series. */
export function scaleRaw(r: RawSeries, k: number, unit: SeriesUnit): RawSeries {
  const v = new Float64Array(r.values.length);
  for (let i = 0; i < v.length; i++) v[i] = r.values[i] * k;
  return { ...r, values: v, unit };
}
