/** Percentiles for smoke graphs (nearest-rank on sorted values) and bucket arithmetic. */

export interface Quantiles { min: number | null; p10: number | null; p25: number | null; median: number | null; p75: number | null; p90: number | null; max: number | null }

const EMPTY: Quantiles = { min: null, p10: null, p25: null, median: null, p75: null, p90: null, max: null };

/** Linear-interpolated quantile of a sorted array (q in 0..1). */
export function quantileSorted(sorted: number[], q: number): number {
  if (sorted.length === 1) return sorted[0];
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function quantiles(values: number[]): Quantiles {
  if (!values.length) return { ...EMPTY };
  const s = Float64Array.from(values).sort() as unknown as number[];
  return {
    min: s[0], p10: quantileSorted(s, 0.1), p25: quantileSorted(s, 0.25), median: quantileSorted(s, 0.5),
    p75: quantileSorted(s, 0.75), p90: quantileSorted(s, 0.9), max: s[s.length - 1],
  };
}

export function median(values: number[]): number | null {
  return values.length ? quantileSorted(Float64Array.from(values).sort() as unknown as number[], 0.5) : null;
}

export const bucketStart = (ts: number, size: number) => Math.floor(ts / size) * size;
