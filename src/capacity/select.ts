/** Order statistics without a full sort: quickselect on a scratch copy (O(n) per quantile). */
import { nearestRankIndex } from '../lib/percentile.js';

function select(a: Float64Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    // median of three pivot
    const mid = (lo + hi) >> 1;
    let p = a[mid];
    const x = a[lo],
      y = a[hi];
    if (x <= p === p <= y) {
      /* p is median */
    } else if (p <= x === x <= y) p = x;
    else p = y;
    let i = lo,
      j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * Nearest-rank quantiles of the first n values of buf (which is reordered). qs ascending in 0..1.
 * Each selection narrows the range for the next one.
 */
export function quantiles(buf: Float64Array, n: number, qs: number[]): number[] {
  if (n === 0) return qs.map(() => NaN);
  const out: number[] = [];
  let lo = 0;
  for (const q of qs) {
    const k = nearestRankIndex(n, q);
    out.push(select(buf, Math.min(lo, k), n - 1, k));
    lo = k;
  }
  return out;
}
