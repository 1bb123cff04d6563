/**
 * The percentile definitions hostops uses, one place each. Which one a caller takes is part of
 * its output (stored rollups, capacity reports, /metrics), so each call site keeps its own:
 *   interpolated  linear between the two closest ranks (Hyndman & Fan type 7, numpy's default):
 *                 store's smoke-graph quantiles and medians (store/stats.ts), serve's overview
 *                 and alert rules through them
 *   nearestRank   the smallest value with at least q of the values at or below it (burstable
 *                 billing's 95th percentile): capacity (capacity/stats.ts, capacity/select.ts)
 *   middle        the median as the mean of the two middle values: serve's ping job for the
 *                 hostops_ping_rtt_median_seconds gauge
 * All take ascending arrays; none sorts.
 */

type Sorted = ArrayLike<number>;

/** Linear-interpolated quantile of a sorted, non-empty array (q in 0..1). */
export function interpolated(sorted: Sorted, q: number): number {
  if (sorted.length === 1) return sorted[0];
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Index of the nearest-rank q-quantile among n sorted values (n > 0). */
export function nearestRankIndex(n: number, q: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
}

/** Nearest-rank quantile of the first n values of a sorted array; NaN when n is 0. */
export function nearestRank(sorted: Sorted, q: number, n = sorted.length): number {
  return n === 0 ? NaN : sorted[nearestRankIndex(n, q)];
}

/** Median as the mean of the two middle values (the middle one when n is odd); NaN when empty. */
export function middle(sorted: Sorted): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
