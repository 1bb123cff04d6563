/**
 * Percentiles for smoke graphs and bucket arithmetic. The quantiles are linearly interpolated
 * between the two closest ranks (lib/percentile.ts `interpolated`), not nearest-rank: the stored
 * rollups were always computed this way.
 */
import { interpolated } from '../lib/percentile.js';

export interface Quantiles {
  min: number | null;
  p10: number | null;
  p25: number | null;
  median: number | null;
  p75: number | null;
  p90: number | null;
  max: number | null;
}

const EMPTY: Quantiles = {
  min: null,
  p10: null,
  p25: null,
  median: null,
  p75: null,
  p90: null,
  max: null,
};

export function quantiles(values: number[]): Quantiles {
  if (!values.length) return { ...EMPTY };
  const s = Float64Array.from(values).sort() as unknown as number[];
  return {
    min: s[0],
    p10: interpolated(s, 0.1),
    p25: interpolated(s, 0.25),
    median: interpolated(s, 0.5),
    p75: interpolated(s, 0.75),
    p90: interpolated(s, 0.9),
    max: s[s.length - 1],
  };
}

export function median(values: number[]): number | null {
  return values.length
    ? interpolated(Float64Array.from(values).sort() as unknown as number[], 0.5)
    : null;
}

export const bucketStart = (ts: number, size: number) => Math.floor(ts / size) * size;
