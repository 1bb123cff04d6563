/** The percentile columns every ping table shares, and JSON text columns. */
import type { Param } from './driver.js';
import type { Quantiles } from './stats.js';

export const QCOLS = 'rtt_min, rtt_p10, rtt_p25, rtt_median, rtt_p75, rtt_p90, rtt_max';
export const qvals = (q: Quantiles): Param[] => [
  q.min,
  q.p10,
  q.p25,
  q.median,
  q.p75,
  q.p90,
  q.max,
];

export interface QRow {
  rtt_min: number | null;
  rtt_p10: number | null;
  rtt_p25: number | null;
  rtt_median: number | null;
  rtt_p75: number | null;
  rtt_p90: number | null;
  rtt_max: number | null;
}

export function json(v: unknown): string {
  return JSON.stringify(v ?? null);
}
export function parse<T>(s: unknown, fallback: T): T {
  try {
    return typeof s === 'string' ? (JSON.parse(s) as T) : fallback;
  } catch {
    return fallback;
  }
}
