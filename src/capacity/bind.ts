/**
 * Series bound to ids (customers, VMs): matched by name/label, aligned to one grid, converted to the
 * wanted unit; read back per id as the sum of its series.
 */
import { HostopsError } from '../lib/errors.js';
import { type Gap, type Series, alignAll } from './series.js';
import { type LabeledSeries, type InputProblem, matchSeries } from './input/index.js';

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

/** Sum of the series bound to id into out; false when none is bound to it. */
export function sumInto(b: Binding, id: string, out: Float64Array): boolean {
  const picks = b.perId.get(id);
  if (!picks) return false;
  out.set(b.aligned[picks[0]].values);
  for (let j = 1; j < picks.length; j++) {
    const v = b.aligned[picks[j]].values;
    for (let k = 0; k < out.length; k++) out[k] += v[k];
  }
  return true;
}
