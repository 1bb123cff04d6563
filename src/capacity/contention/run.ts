/** contention(): the measured analysis when series are given (bound to the customers), else the model. */
import { HostopsError } from '../../lib/errors.js';
import { type Topology, type TopoNode, buildTopology } from '../topology.js';
import { bindSeries, sumInto } from '../bind.js';
import type { Gap } from '../series.js';
import type { LabeledSeries, InputProblem } from '../input/index.js';
import type { ContentionReport, SeriesSource } from './types.js';
import { analyzeMeasured } from './measured.js';
import { analyzeModel } from './model.js';

function isTopology(x: unknown): x is Topology {
  return (
    !!x &&
    typeof x === 'object' &&
    Array.isArray((x as Topology).nodes) &&
    typeof (x as Topology).busy === 'number'
  );
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
