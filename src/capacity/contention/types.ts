/** Types of the contention reports (measured and model). */
import type { TopoNode } from '../topology.js';
import type { Episode } from '../stats.js';
import type { NominalRow } from './nominal.js';

/** Where the customers' rate series (bit/s, NaN = gap) come from. */
export interface SeriesSource {
  start: number;
  step: number;
  length: number;
  /** Fill out (length `length`) for this customer; false when there is no series for it. */
  read(node: TopoNode, out: Float64Array): boolean;
}

export interface TierReport {
  id: string;
  kind: string;
  capacity: number;
  customers: number;
  customersWithSeries: number;
  steps: number;
  /** Steps where some customer beneath had a gap: left out of every figure below, never taken as 0. */
  incompleteSteps: number;
  mean: number;
  p95: number;
  max: number;
  peakAt: number | null;
  utilisation: number;
  over: {
    share: number;
    minutesPerDay: number;
    episodes: number;
    episodesPerDay: number;
    meanDuration: number;
    longest: Episode[];
  };
  busy: { threshold: number; share: number; minutesPerDay: number };
  /** Bytes offered above capacity (dropped or queued), Σ max(0, A − C)·Δ / 8. */
  unmetBytes: number;
  busiestHours: { hour: number; mean: number }[];
  /** Σ p95 of the children's passed traffic ÷ p95 of this tier's sum (≥ 1; the multiplexing gain). */
  multiplexingGain: number;
  gaussian: {
    /** Q((C − μ)/σ) with σ of the measured aggregate (correlation included). */
    pOver: number;
    /** Same with σ² = Σ customer variances, i.e. assuming independence (what a naive model says). */
    pOverIndependent: number;
    capacityForEpsilon: number;
    epsilon: number;
  };
  /** 'no-data' when no step has data from every customer beneath. */
  verdict: 'ok' | 'busy' | 'congested' | 'no-data';
  /**
   * Operating point for effective bandwidths (Kelly): window t and space parameter s* of the Gaussian
   * fit to this tier's work per window, s* = (C·t − E[W]) / Var[W]; null when the tier is overloaded.
   */
  operatingPoint: { t: number; s: number } | null;
}

export interface CustomerReport {
  id: string;
  parent?: string;
  port: number;
  hasSeries: boolean;
  guaranteed: number;
  guaranteedFrom: 'plan' | 'fair-share';
  bottleneck?: string;
  mean: number;
  p95: number;
  p99: number;
  max: number;
  cv: number;
  peakToMean: number;
  p99ToMean: number;
  /** Share of time above μ + 2σ. */
  dutyCycle: number;
  /** Share of time above half the port rate. */
  dutyHalfPort: number;
  shape: 'even' | 'moderate' | 'spiky' | 'idle';
  /** Likely-available rate along its path: p5/p50/p95 over all steps, p5 in the top tier's busiest hour. */
  available: { p5: number; p50: number; p95: number; busyHourP5: number };
  /** This customer's rate at the top tier's peak ÷ that peak. */
  shareOfPeak: number;
  /** Cov(x_i, A)/Var(A) for the top tier A: its Shapley share of the aggregate's variance. */
  varianceShare: number;
  dailyAutocorr: number;
  gaps: number;
  /**
   * Effective bandwidth α(s*, t) at the top tier's operating point: what this customer really
   * consumes of that link, between its mean and its peak; additive over independent customers.
   */
  effectiveBandwidth: number;
  /**
   * While a link on its path is over capacity: how many such steps, the share of them in which this
   * customer sent above its guarantee, and the volume above its guarantee then — what it takes from
   * the others when the link is full.
   */
  whenCongested?: { steps: number; aboveGuarantee: number; bytesAboveGuarantee: number };
  /** Without series, from the on-off model: what it gets when active, at its worst tier. */
  modelAvailable?: ModelAvailability;
}

export interface ModelTier {
  id: string;
  customers: number;
  /** The figure to trust and how it was computed. */
  method: 'exact-binomial' | 'exact-convolution' | 'gaussian';
  pOver: number;
  expectedExcess: number;
  gaussian: number;
  chernoff: number;
  bahadurRao: number;
  notes: string[];
}

export interface ContentionReport {
  topology: string;
  mode: 'measured' | 'model' | 'nominal';
  step: number | null;
  start: number | null;
  length: number;
  days: number;
  nominal: NominalRow[];
  tiers: TierReport[];
  customers: CustomerReport[];
  model: ModelTier[];
  notes: string[];
  /** Demand per kept tier (NaN where incomplete), for charts; not part of the JSON output. */
  demand?: Record<string, Float64Array>;
}

export interface ContentionOptions {
  /** Skip per-customer detail (top-N only in text output anyway). */
  customers?: boolean;
  /** Keep the demand series of these tiers (and of every top tier) for charts. */
  keep?: string[];
  /** Called now and then with (customers done, total) over both passes (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
}

export interface ModelAvailability {
  /** Tier where the customer fares worst. */
  tier: string;
  /** P(it gets its full peak when it is active). */
  pFullPeak: number;
  /** E[rate it gets when active] = E[min(peak, max(guarantee, C − others))]. */
  expectedWhenActive: number;
  method: 'exact-binomial' | 'exact-convolution';
}
