/**
 * Library API of the capacity module (for the CLI and `hostops serve`):
 *   contention(topology, series?) -> ContentionReport
 *   memoryRisk(host, usage?)      -> MemoryReport
 *   advise(usage, prices?)        -> Advice (one series) or Advice[] (an array)
 * Inputs are plain objects (a parsed YAML document or built Topology/HostPlan) and parsed series
 * (see ./input); everything is aligned to one grid before any sum is taken.
 */
import { HostopsError } from '../lib/errors.js';
import { buildTopology } from './topology.js';
import {
  type HostPlan,
  type MemoryReport,
  type MemorySeries,
  buildHost,
  memoryRiskReport,
} from './memory.js';
import { type Advice, type PriceTable, adviseSeries, buildPrices } from './advise.js';
import { type Gap, type Series, alignAll } from './series.js';
import type { LabeledSeries, InputProblem } from './input/index.js';
import { bindSeries, sumInto } from './bind.js';
import { parseBytes } from './units.js';

export * from './topology.js';
export * from './contention/index.js';
export * from './memory.js';
export * from './advise.js';
export * from './series.js';
export * from './stats.js';
export * from './model.js';
export * from './units.js';
export * from './chart.js';
export * as input from './input/index.js';
export type { LabeledSeries, InputProblem } from './input/index.js';
export { type Binding, bindSeries } from './bind.js';

function isHostPlan(x: unknown): x is HostPlan {
  return (
    !!x &&
    typeof x === 'object' &&
    typeof (x as HostPlan).usable === 'number' &&
    Array.isArray((x as HostPlan).vms)
  );
}

export type MemoryResult = MemoryReport & {
  problems: InputProblem[];
  gaps: Gap[];
  unmatched: string[];
  seriesUsed: Record<string, string[]>;
};

/** Guaranteed vs burstable RAM risk; usage series (bytes) replayed when given, model always when stated. */
export function memoryRisk(
  host: HostPlan | unknown,
  usage?: LabeledSeries[],
  opts: { step?: number; unitFactor?: number } = {},
): MemoryResult {
  const plan = isHostPlan(host) ? host : buildHost(host);
  if (!usage || !usage.length)
    return { ...memoryRiskReport(plan), problems: [], gaps: [], unmatched: [], seriesUsed: {} };
  const b = bindSeries(
    plan.vms.map((v) => ({ id: v.id, keys: [v.series] })),
    usage,
    'B',
    { step: opts.step ?? plan.step, unitFactor: opts.unitFactor },
  );
  if (!Object.keys(b.used).length) {
    throw new HostopsError(
      'CAPACITY_NO_MATCH',
      `None of the ${usage.length} usage series matches a VM of ${plan.host}`,
      {
        hint: `series are matched to VM ids or their series: keys; loaded: ${usage
          .slice(0, 5)
          .map((s) => s.name)
          .join(', ')}`,
      },
    );
  }
  const ms: MemorySeries = {
    start: b.start,
    step: b.step,
    length: b.length,
    get: (vm) => {
      const out = new Float64Array(b.length);
      return sumInto(b, vm.id, out) ? out : undefined;
    },
  };
  return {
    ...memoryRiskReport(plan, ms),
    problems: b.problems,
    gaps: b.gaps,
    unmatched: b.unmatched,
    seriesUsed: b.used,
  };
}

/**
 * Cloud / VPS / dedicated advice. One series gives one Advice; an array gives
 * one Advice per series. Raw series are aligned to their own step (or opts.step) first.
 */
export function advise(
  usage: LabeledSeries | Series,
  prices?: PriceTable | unknown,
  opts?: { step?: number; headroom?: number; scaleOut?: boolean },
): Advice;
export function advise(
  usage: (LabeledSeries | Series)[],
  prices?: PriceTable | unknown,
  opts?: { step?: number; headroom?: number; scaleOut?: boolean },
): Advice[];
export function advise(
  usage: LabeledSeries | Series | (LabeledSeries | Series)[],
  prices?: PriceTable | unknown,
  opts: { step?: number; headroom?: number; scaleOut?: boolean } = {},
): Advice | Advice[] {
  const table =
    prices === undefined
      ? undefined
      : (prices as PriceTable).cloud && (prices as PriceTable).hoursPerMonth
        ? (prices as PriceTable)
        : buildPrices(prices);
  const one = (s: LabeledSeries | Series): Advice =>
    adviseSeries('times' in s ? alignAll([s], opts.step).series[0] : s, table, opts);
  return Array.isArray(usage) ? usage.map(one) : one(usage);
}

export { buildTopology, buildHost, buildPrices, parseBytes };
