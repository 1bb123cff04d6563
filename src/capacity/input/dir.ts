/**
 * A streaming SeriesSource over a directory with one file per customer (`<id>.csv`, `<id>.json`,
 * `<id>.xml`, `<id>.log`, ...): each file is parsed when the analysis asks for that customer and
 * dropped after, so memory stays bounded by the tier sums whatever the number of customers.
 * A first sweep reads every file once to find the common grid.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HostopsError } from '../../lib/errors.js';
import { align, typicalStep } from '../series.js';
import type { TopoNode } from '../topology.js';
import { parseText, matchSeries, type LoadOptions } from './index.js';
import type { InputProblem, LabeledSeries } from './types.js';

export interface DirSource {
  start: number;
  step: number;
  length: number;
  read(node: TopoNode, out: Float64Array): boolean;
  problems: InputProblem[];
  files: number;
}

/** Factor to bit/s for a series unit; unitless series use `unknownFactor`. */
function toBits(s: LabeledSeries, unknownFactor: number): number {
  if (s.unit === 'bit/s') return 1;
  if (s.unit === 'B/s') return 8;
  if (s.unit === 'unknown') return unknownFactor;
  throw new HostopsError(
    'CAPACITY_BAD_UNIT',
    `Series ${s.name} in ${s.source} is in ${s.unit}, not a traffic rate`,
    { where: s.source },
  );
}

export function dirSource(
  dir: string,
  leaves: TopoNode[],
  opts: LoadOptions & { step?: number; unitFactor?: number } = {},
): DirSource {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new HostopsError(
      'CAPACITY_READ_FAILED',
      `Cannot read directory ${dir}: ${(e as Error).message}`,
      { where: dir },
    );
  }
  const byBase = new Map<string, string>();
  for (const n of names.sort()) {
    const base = n.replace(/\.[^.]*$/, '');
    if (!byBase.has(base)) byBase.set(base, path.join(dir, n));
  }
  const fileOf = new Map<string, { file: string; key: string }>();
  for (const node of leaves) {
    for (const key of node.series) {
      const f = byBase.get(key) ?? byBase.get(key.replace(/\//g, '_'));
      if (f) {
        fileOf.set(node.id, { file: f, key });
        break;
      }
    }
  }
  if (!fileOf.size)
    throw new HostopsError(
      'CAPACITY_NO_MATCH',
      `No file in ${dir} is named after a customer (e.g. ${leaves[0]?.series[0] ?? 'id'}.csv)`,
      { where: dir },
    );
  const problems: InputProblem[] = [];
  const pick = (file: string, key: string): LabeledSeries | undefined => {
    const r = parseText(readFileSync(file, 'utf8'), file, opts);
    for (const p of r.problems) problems.push(p);
    if (r.series.length === 1) return r.series[0];
    return matchSeries(key, r.series)[0] ?? r.series[0];
  };
  // sweep 0: the grid (union of spans, coarsest step unless given)
  let lo = Infinity,
    hi = -Infinity,
    step = opts.step ?? 0;
  for (const { file, key } of fileOf.values()) {
    const s = pick(file, key);
    if (!s || !s.times.length) continue;
    const iv = s.interval ?? typicalStep(s.times);
    if (!opts.step && Number.isFinite(iv) && iv > step) step = iv;
    lo = Math.min(lo, s.times[0] - (Number.isFinite(iv) ? iv : 0));
    hi = Math.max(hi, s.times[s.times.length - 1]);
  }
  if (!step) step = 300;
  problems.length = 0; // the sweeps below report the same problems again, once
  const start = Math.floor(lo / step) * step,
    end = Math.ceil(hi / step) * step;
  const length = Number.isFinite(start) ? Math.max(0, Math.round((end - start) / step)) : 0;
  const seen = new Set<string>();
  return {
    start,
    step,
    length,
    problems,
    files: fileOf.size,
    read(node, out) {
      const f = fileOf.get(node.id);
      if (!f) return false;
      const before = problems.length;
      const s = pick(f.file, f.key);
      if (seen.has(node.id)) problems.length = before;
      else seen.add(node.id);
      if (!s) return false;
      const k = toBits(s, opts.unitFactor ?? 1);
      const a = align(s, { step, start, end }).series.values;
      for (let i = 0; i < length; i++) out[i] = a[i] * k;
      return true;
    },
  };
}
