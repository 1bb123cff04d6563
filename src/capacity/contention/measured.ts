/**
 * Measured contention: every customer series is read twice (once to build the clipped, time-aligned
 * tier sums bottom-up, once to compare it against them), into one reused buffer, so memory is
 * O(tiers x steps) whatever the number of customers. The stages share one Measure (measure.ts) and
 * run once each, in order; none walks back over a stage before it.
 */
import type { Topology } from '../topology.js';
import type { SeriesSource, ContentionReport, ContentionOptions } from './types.js';
import { DAY, newMeasure } from './measure.js';
import { sumCustomers } from './customer-sums.js';
import { sumTiers } from './tier-sums.js';
import { customersAgainstPaths } from './customer-paths.js';
import { measuredNotes } from './measured-notes.js';
import { nominal } from './nominal.js';
import { modelTiers } from './model.js';

export function analyzeMeasured(
  t: Topology,
  src: SeriesSource,
  opts: ContentionOptions = {},
): ContentionReport {
  const m = newMeasure(t, src, opts);
  sumCustomers(m); // pass 1: per-customer figures, demand into the parents
  sumTiers(m); // inner links bottom-up: tier figures, what each passes up
  const customers = customersAgainstPaths(m); // pass 2: each customer against its path
  const { ix, L, step, tiers } = m;
  return {
    topology: t.name,
    mode: 'measured',
    step,
    start: src.start,
    length: L,
    days: (L * step) / DAY,
    nominal: nominal(t, ix),
    tiers: [...t.nodes.keys()].filter((i) => tiers.has(i)).map((i) => tiers.get(i)!),
    customers,
    model: modelTiers(t, ix),
    notes: measuredNotes(m),
    demand: m.kept,
  };
}
