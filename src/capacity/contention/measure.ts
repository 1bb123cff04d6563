/**
 * The state the stages of one measured analysis share. Each stage fills its part, in this order:
 * customer-sums.ts (pass 1: per-customer figures, demand summed into the parents), tier-sums.ts
 * (inner links bottom-up: tier figures, what each link passes up), customer-paths.ts (pass 2: each
 * customer against the sums of its path), measured-notes.ts.
 */
import { type Topology, type TopoIndex, indexTopology } from '../topology.js';
import type { SeriesSource, TierReport, ContentionOptions } from './types.js';

export const DAY = 86400;

/** Pass-1 figures of one customer, read again in pass 2. */
export interface CustomerStats {
  mean: number;
  std: number;
  max: number;
  p95: number;
  p99: number;
  gaps: number;
  duty: number;
  dutyHalf: number;
  ac: number;
}

export interface Measure {
  t: Topology;
  ix: TopoIndex;
  src: SeriesSource;
  opts: ContentionOptions;
  /** Steps of the grid, and its step in seconds. */
  L: number;
  step: number;
  /** Per inner node: offered demand per step, and how many customers beneath have a gap there. */
  demand: Map<number, Float64Array>;
  missing: Map<number, Int32Array>;
  /** Per node (by index): */
  withSeries: Uint8Array;
  /** Σ customer variances beneath (independence model). */
  varSum: Float64Array;
  /** Σ p95 of what the children pass (multiplexing gain). */
  childP95Sum: Float64Array;
  customerStats: CustomerStats[];
  /** Per inner node, set by tier-sums.ts: */
  tiers: Map<number, TierReport>;
  aggMean: Float64Array;
  aggVar: Float64Array;
  peakIdx: Int32Array;
  /** Demand series kept for charts (top tiers and opts.keep). */
  kept: Record<string, Float64Array>;
  /** One series buffer (the customer read, reused) and one scratch for order statistics. */
  buf: Float64Array;
  scratch: Float64Array;
  /** Counts a customer done over both passes; reports progress every 200. */
  tick: () => void;
}

export function newMeasure(t: Topology, src: SeriesSource, opts: ContentionOptions): Measure {
  const ix = indexTopology(t);
  const L = src.length;
  const N = t.nodes.length;
  const demand = new Map<number, Float64Array>();
  const missing = new Map<number, Int32Array>();
  for (const i of ix.innerBottomUp) {
    demand.set(i, new Float64Array(L));
    missing.set(i, new Int32Array(L));
  }
  const total = 2 * ix.leaves.length;
  let done = 0;
  return {
    t,
    ix,
    src,
    opts,
    L,
    step: src.step,
    demand,
    missing,
    withSeries: new Uint8Array(N),
    varSum: new Float64Array(N),
    childP95Sum: new Float64Array(N),
    customerStats: new Array(N),
    tiers: new Map(),
    aggMean: new Float64Array(N),
    aggVar: new Float64Array(N),
    peakIdx: new Int32Array(N).fill(-1),
    kept: {},
    buf: new Float64Array(L),
    scratch: new Float64Array(L),
    tick: () => {
      if (opts.onProgress && ++done % 200 === 0) opts.onProgress(done, total);
    },
  };
}
