/** Descriptive statistics over typed arrays; NaN (a gap) is skipped, never counted as zero. */

import { nearestRank } from '../lib/percentile.js';

export type Num = Float64Array | Float32Array;

export interface Summary {
  n: number;
  gaps: number;
  mean: number;
  std: number;
  /** Coefficient of variation σ/μ. */
  cv: number;
  min: number;
  max: number;
  p50: number;
  /** Nearest-rank 95th percentile: sort, drop the top 5 %, take the next value (burstable billing). */
  p95: number;
  p99: number;
  peakToMean: number;
  p99ToMean: number;
  p95ToMean: number;
}

/** Nearest-rank percentile of an ascending array (q in 0..1). */
export function rank(sorted: Num, q: number, n = sorted.length): number {
  return nearestRank(sorted, q, n);
}

/** Copy the finite values into scratch (grown if needed) and sort them; returns the count. */
export function sortedFinite(x: Num, scratch?: Float64Array): { sorted: Float64Array; n: number } {
  const buf = scratch && scratch.length >= x.length ? scratch : new Float64Array(x.length);
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v === v) buf[n++] = v;
  }
  const sorted = buf.subarray(0, n).sort();
  return { sorted, n };
}

export function summarize(x: Num, scratch?: Float64Array): Summary {
  let n = 0,
    s = 0,
    ss = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v === v) {
      n++;
      s += v;
    }
  }
  const mean = n ? s / n : NaN;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v === v) {
      const d = v - mean;
      ss += d * d;
    }
  }
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  const { sorted } = sortedFinite(x, scratch);
  const max = n ? sorted[n - 1] : NaN;
  const p95 = rank(sorted, 0.95, n),
    p99 = rank(sorted, 0.99, n);
  const div = (a: number) => (mean > 0 ? a / mean : NaN);
  return {
    n,
    gaps: x.length - n,
    mean,
    std,
    cv: mean > 0 ? std / mean : NaN,
    min: n ? sorted[0] : NaN,
    max,
    p50: rank(sorted, 0.5, n),
    p95,
    p99,
    peakToMean: div(max),
    p99ToMean: div(p99),
    p95ToMean: div(p95),
  };
}

/** Fraction of the finite samples above a threshold. */
export function fractionAbove(x: Num, thr: number): number {
  let n = 0,
    k = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v === v) {
      n++;
      if (v > thr) k++;
    }
  }
  return n ? k / n : NaN;
}

/** Sample autocorrelation at a lag (in steps), over pairs where both ends are present. */
export function autocorr(x: Num, lag: number): number {
  if (lag <= 0 || lag >= x.length) return NaN;
  let n = 0,
    s = 0;
  for (let i = 0; i < x.length; i++)
    if (x[i] === x[i]) {
      n++;
      s += x[i];
    }
  if (n < 3) return NaN;
  const m = s / n;
  let num = 0,
    den = 0,
    pairs = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v === v) den += (v - m) * (v - m);
  }
  for (let i = lag; i < x.length; i++) {
    const a = x[i],
      b = x[i - lag];
    if (a === a && b === b) {
      num += (a - m) * (b - m);
      pairs++;
    }
  }
  if (pairs < 3 || den === 0) return NaN;
  return num / pairs / (den / n);
}

export interface Episode {
  start: number;
  duration: number;
}

/** Runs where pred holds, as episodes in epoch seconds; gaps end a run. */
export function runs(
  x: Num,
  start: number,
  step: number,
  pred: (v: number, i: number) => boolean,
): Episode[] {
  const out: Episode[] = [];
  let from = -1;
  for (let i = 0; i <= x.length; i++) {
    const on = i < x.length && x[i] === x[i] && pred(x[i], i);
    if (on && from < 0) from = i;
    if (!on && from >= 0) {
      out.push({ start: start + from * step, duration: (i - from) * step });
      from = -1;
    }
  }
  return out;
}

/** Mean by hour of day (UTC) over finite samples; index 0..23. */
export function hourProfile(x: Num, start: number, step: number): Float64Array {
  const s = new Float64Array(24),
    n = new Float64Array(24);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v !== v) continue;
    const h = Math.floor(((((start + i * step) % 86400) + 86400) % 86400) / 3600);
    s[h] += v;
    n[h]++;
  }
  for (let h = 0; h < 24; h++) s[h] = n[h] ? s[h] / n[h] : NaN;
  return s;
}

/**
 * Seasonal strength in the spirit of FPP3 §4.3: 1 - Var(remainder)/Var(series) where the seasonal
 * part is the mean profile by phase (period in steps). 0 = no seasonality, 1 = fully periodic.
 */
export function seasonalStrength(x: Num, period: number): number {
  if (period < 2 || x.length < 2 * period) return NaN;
  const s = new Float64Array(period),
    c = new Float64Array(period);
  let n = 0,
    tot = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v === v) {
      s[i % period] += v;
      c[i % period]++;
      n++;
      tot += v;
    }
  }
  if (n < 2) return NaN;
  const m = tot / n;
  let vx = 0,
    vr = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v !== v) continue;
    const prof = s[i % period] / c[i % period];
    vx += (v - m) * (v - m);
    vr += (v - prof) * (v - prof);
  }
  return vx > 0 ? Math.max(0, 1 - vr / vx) : 0;
}
