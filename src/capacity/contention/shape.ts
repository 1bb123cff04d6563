/** Shape of a customer's traffic (even, moderate, spiky, idle), for the customer reports. */
import type { CustomerReport } from './types.js';

/** Shape of a customer's traffic from its CV and p99/mean (thresholds in docs/capacity.md). */
export function classify(cv: number, p99ToMean: number, mean: number): CustomerReport['shape'] {
  if (!(mean > 0)) return 'idle';
  if (cv < 0.35 && p99ToMean < 2) return 'even';
  if (cv > 1 || p99ToMean > 4) return 'spiky';
  return 'moderate';
}
