/**
 * Library API of the capacity module (for the CLI and `hostops serve`):
 *   contention(topology, series?) -> ContentionReport
 *   memoryRisk(host, usage?)      -> MemoryReport
 *   advise(usage, prices?)        -> Advice (one series) or Advice[] (an array)
 * Inputs are plain objects (a parsed YAML document or built Topology/HostPlan) and parsed series
 * (see ./input); everything is aligned to one grid before any sum is taken.
 */
import { HostopsError } from '../lib/errors.js';
import { type Topology, type TopoNode, buildTopology } from './topology.js';
import {
  type ContentionReport,
  type SeriesSource,
  analyzeMeasured,
  analyzeModel,
} from './contention/index.js';
import {
  type HostPlan,
  type MemoryReport,
  type MemorySeries,
  buildHost,
  memoryRiskReport,
} from './memory.js';
import { type Advice, type PriceTable, adviseSeries, buildPrices } from './advise.js';
import { type Gap, type Series, alignAll } from './series.js';
import { type LabeledSeries, type InputProblem, matchSeries } from './input/index.js';
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

export interface Binding {
  /** Node/VM id -> series names used. */
  used: Record<string, string[]>;
  unmatched: string[];
  problems: InputProblem[];
  gaps: Gap[];
  aligned: Series[];
  start: number;
  step: number;
  length: number;
  /** Id -> indexes into aligned (summed when an id lists several keys). */
  perId: Map<string, number[]>;
}

function isTopology(x: unknown): x is Topology {
  return (
    !!x &&
    typeof x === 'object' &&
    Array.isArray((x as Topology).nodes) &&
    typeof (x as Topology).busy === 'number'
  );
}
function isHostPlan(x: unknown): x is HostPlan {
  return (
    !!x &&
    typeof x === 'object' &&
    typeof (x as HostPlan).usable === 'number' &&
    Array.isArray((x as HostPlan).vms)
  );
}

/** Factor from a series' unit to the wanted one; throws on a unit that cannot be converted. */
function factorFor(s: LabeledSeries, want: 'bit/s' | 'B', fallback: number): number {
  if (want === 'bit/s') {
    if (s.unit === 'bit/s') return 1;
    if (s.unit === 'B/s') return 8;
    if (s.unit === 'unknown') return fallback;
  } else {
    if (s.unit === 'B') return 1;
    if (s.unit === 'unknown') return fallback;
  }
  throw new HostopsError(
    'CAPACITY_BAD_UNIT',
    `Series ${s.name} from ${s.source} is in ${s.unit}, not usable as ${want === 'B' ? 'memory (bytes)' : 'traffic (bit/s)'}`,
    {
      where: s.source,
      hint: 'pick another column/series with series: in the YAML, or convert the data',
    },
  );
}

/**
 * Attach series to ids: each id's keys are matched (exact name, label value, name token); the matched
 * series are aligned to a common grid and summed per id.
 */
export function bindSeries(
  ids: { id: string; keys: string[] }[],
  all: LabeledSeries[],
  want: 'bit/s' | 'B',
  opts: { step?: number; unitFactor?: number } = {},
): Binding {
  const problems: InputProblem[] = [];
  const used: Record<string, string[]> = {};
  const unmatched: string[] = [];
  const chosen: LabeledSeries[] = [];
  const idx = new Map<LabeledSeries, number>();
  const perId = new Map<string, number[]>();
  for (const { id, keys } of ids) {
    const picks: number[] = [];
    for (const key of keys) {
      const m = matchSeries(key, all);
      if (!m.length) continue;
      if (m.length > 1)
        problems.push({
          where: id,
          message: `series key ${JSON.stringify(key)} matches ${m.length} series (${m
            .slice(0, 3)
            .map((s) => s.name)
            .join(', ')}…); using ${m[0].name}; name one exactly`,
        });
      const s = m[0];
      if (!idx.has(s)) {
        idx.set(s, chosen.length);
        chosen.push(s);
      }
      picks.push(idx.get(s)!);
    }
    if (picks.length) {
      perId.set(id, picks);
      used[id] = picks.map((p) => chosen[p].name);
    } else unmatched.push(id);
  }
  const factors = chosen.map((s) => factorFor(s, want, opts.unitFactor ?? 1));
  const al = alignAll(chosen, opts.step);
  al.series.forEach((s, i) => {
    if (factors[i] !== 1) for (let k = 0; k < s.values.length; k++) s.values[k] *= factors[i];
  });
  return {
    used,
    unmatched,
    problems,
    gaps: al.gaps,
    aligned: al.series,
    start: al.start,
    step: al.step,
    length: al.length,
    perId,
  };
}

function sumInto(b: Binding, id: string, out: Float64Array): boolean {
  const picks = b.perId.get(id);
  if (!picks) return false;
  out.set(b.aligned[picks[0]].values);
  for (let j = 1; j < picks.length; j++) {
    const v = b.aligned[picks[j]].values;
    for (let k = 0; k < out.length; k++) out[k] += v[k];
  }
  return true;
}

export type ContentionResult = ContentionReport & {
  problems: InputProblem[];
  gaps: Gap[];
  unmatched: string[];
  seriesUsed: Record<string, string[]>;
};

/** Contention along a topology; with series (parsed files or your own SeriesSource) the measured analysis, else the model. */
export function contention(
  topology: Topology | unknown,
  series?: LabeledSeries[] | SeriesSource,
  opts: {
    step?: number;
    unitFactor?: number;
    customers?: boolean;
    keep?: string[];
    onProgress?: (done: number, total: number) => void;
  } = {},
): ContentionResult {
  const t = isTopology(topology) ? topology : buildTopology(topology);
  if (!series || (Array.isArray(series) && series.length === 0))
    return { ...analyzeModel(t), problems: [], gaps: [], unmatched: [], seriesUsed: {} };
  if (!Array.isArray(series))
    return {
      ...analyzeMeasured(t, series, opts),
      problems: [],
      gaps: [],
      unmatched: [],
      seriesUsed: {},
    };
  const leaves = t.nodes.filter((n) => !t.nodes.some((c) => c.parent === n.id));
  const b = bindSeries(
    leaves.map((n) => ({ id: n.id, keys: n.series })),
    series,
    'bit/s',
    { step: opts.step ?? t.step, unitFactor: opts.unitFactor },
  );
  if (!Object.keys(b.used).length) {
    throw new HostopsError(
      'CAPACITY_NO_MATCH',
      `None of the ${series.length} series matches a customer of ${t.name}`,
      {
        hint: `series are matched to customer ids or their series: keys; loaded: ${series
          .slice(0, 5)
          .map((s) => s.name)
          .join(', ')}`,
      },
    );
  }
  const src: SeriesSource = {
    start: b.start,
    step: b.step,
    length: b.length,
    read: (node: TopoNode, out: Float64Array) => sumInto(b, node.id, out),
  };
  const r = analyzeMeasured(t, src, opts);
  return { ...r, problems: b.problems, gaps: b.gaps, unmatched: b.unmatched, seriesUsed: b.used };
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
