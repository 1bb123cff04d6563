/** The notes of a measured report: the step, how tiers are summed, and what the data leaves out. */
import type { Measure } from './measure.js';

export function measuredNotes(m: Measure): string[] {
  const { ix, step } = m;
  const notes: string[] = [
    `Figures are at a ${step} s step: bursts shorter than that are averaged away.`,
    'A tier sum counts each customer clipped at its port and each lower link clipped at its capacity; what is clipped is reported as unmet at the lower tier.',
  ];
  const noSeries = ix.leaves.filter((l) => !m.withSeries[l]).length;
  if (noSeries)
    notes.push(
      `${noSeries} of ${ix.leaves.length} customers have no series: tier sums leave them out and understate demand.`,
    );
  const empty = [...m.tiers.values()].filter((r) => r.verdict === 'no-data');
  if (empty.length)
    notes.push(
      `No step has data from every customer beneath ${empty
        .slice(0, 5)
        .map((r) => r.id)
        .join(
          ', ',
        )}${empty.length > 5 ? ' …' : ''}: the series do not overlap in time, so no figure can be given there.`,
    );
  const incomplete = [...m.tiers.values()].filter((r) => r.incompleteSteps > 0);
  if (incomplete.length)
    notes.push(
      `Steps with a gap in any customer beneath a tier are left out of that tier's figures (${incomplete
        .map((r) => `${r.id}: ${r.incompleteSteps}`)
        .slice(0, 5)
        .join(', ')}).`,
    );
  return notes;
}
