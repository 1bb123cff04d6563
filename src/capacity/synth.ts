/**
 * Synthetic series with known properties, for tests, benchmarks and demos: seeded, allocation-free
 * fill functions writing into a caller's typed array.
 */

import { rng } from '../lib/rng.js';

export { rng };

/** Standard normal from two uniforms (Box–Muller). */
export function gauss(r: () => number): number {
  const u = 1 - r(),
    v = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Independent on-off: each step on (peak) with probability p, else base. */
export function fillOnOff(
  out: Float64Array | Float32Array,
  p: number,
  peak: number,
  seed: number,
  base = 0,
): void {
  const r = rng(seed);
  for (let k = 0; k < out.length; k++) out[k] = r() < p ? peak : base;
}

/**
 * Diurnal traffic: mean × (1 + amp·sin(2π(t − peakHour + 6h)/1 d)) × lognormal noise of the given CV,
 * plus optional bursts (probability per step, multiplier).
 */
export function fillDiurnal(
  out: Float64Array | Float32Array,
  o: {
    start: number;
    step: number;
    mean: number;
    amp: number;
    cv: number;
    seed: number;
    peakHour?: number;
    burstP?: number;
    burstX?: number;
  },
): void {
  const r = rng(o.seed);
  const sigma = Math.sqrt(Math.log(1 + o.cv * o.cv)),
    mu = (-sigma * sigma) / 2;
  const ph = ((o.peakHour ?? 20) - 6) * 3600;
  const w = (2 * Math.PI) / 86400;
  for (let k = 0; k < out.length; k++) {
    const t = o.start + k * o.step;
    let v = o.mean * (1 + o.amp * Math.sin(w * (t - ph)));
    if (o.cv > 0) v *= Math.exp(mu + sigma * gauss(r));
    if (o.burstP && r() < o.burstP) v *= o.burstX ?? 5;
    out[k] = v < 0 ? 0 : v;
  }
}

/** RAM use: base, and peak during the given hours of each day (UTC, [h, h+len)). */
export function fillDailyBursts(
  out: Float64Array | Float32Array,
  o: {
    start: number;
    step: number;
    base: number;
    peak: number;
    hours: number[];
    lengthHours?: number;
    shiftSeconds?: number;
  },
): void {
  const len = (o.lengthHours ?? 1) * 3600;
  for (let k = 0; k < out.length; k++) {
    const tod = (((o.start + k * o.step - (o.shiftSeconds ?? 0)) % 86400) + 86400) % 86400;
    out[k] = o.hours.some((h) => tod >= h * 3600 && tod < h * 3600 + len) ? o.peak : o.base;
  }
}
