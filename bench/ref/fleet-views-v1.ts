// The fleet views as of main 99c2348, kept as bench/overview-build.ts's reference (see overview-v1.ts).
/**
 * Views of the overview for fleets with many targets, computed from one Overview (whichever way
 * it was built): site x group summaries, a paged site x target drill-down, the worst pairs, and
 * search by target name, address or group. Pure functions: data in, data out; routes/api.ts
 * serves them, and no response carries more than a page of cells.
 */
import type { Overview, OverviewCellOut } from './overview-v1.js';

/** What the views know of a target besides its name: address and groups (inventory or config). */
export interface TargetInfo {
  name: string;
  address: string | null;
  groups: string[];
}
export const NO_GROUP = '(none)';

export interface GroupCell {
  site: string;
  group: string;
  targets: number;
  /** Pairs meeting their SLA, breaking it, and without an SLA or data. */
  ok: number;
  bad: number;
  unknown: number;
  /** Median of the pairs' medians (s), the worst pair's loss, the lowest SLA compliance. */
  median: number | null;
  worstLoss: number | null;
  minCompliance: number | null;
}
export interface GroupOverview {
  generatedAt: number;
  window: number;
  sites: string[];
  groups: string[];
  cells: GroupCell[];
}

function groupsOf(info: Map<string, TargetInfo>, target: string): string[] {
  const g = info.get(target)?.groups ?? [];
  return g.length ? g : [NO_GROUP];
}

const mid = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Site x group: a target in several groups counts in each. */
export function groupOverview(ov: Overview, info: Map<string, TargetInfo>): GroupOverview {
  const acc = new Map<string, { site: string; group: string; cells: OverviewCellOut[] }>();
  for (const c of ov.cells) {
    for (const g of groupsOf(info, c.target)) {
      const k = `${c.site}\u0000${g}`;
      if (!acc.has(k)) acc.set(k, { site: c.site, group: g, cells: [] });
      acc.get(k)!.cells.push(c);
    }
  }
  const cells: GroupCell[] = [...acc.values()].map(({ site, group, cells: cs }) => {
    const losses = cs.map((c) => c.loss).filter((x): x is number => x != null);
    const comp = cs.map((c) => c.compliance).filter((x): x is number => x != null);
    return {
      site,
      group,
      targets: cs.length,
      ok: cs.filter((c) => c.ok === true).length,
      bad: cs.filter((c) => c.ok === false).length,
      unknown: cs.filter((c) => c.ok == null).length,
      median: mid(cs.map((c) => c.median).filter((x): x is number => x != null)),
      worstLoss: losses.length ? Math.max(...losses) : null,
      minCompliance: comp.length ? Math.min(...comp) : null,
    };
  });
  const groups = [...new Set(cells.map((c) => c.group))].sort((a, b) =>
    a === NO_GROUP ? 1 : b === NO_GROUP ? -1 : a.localeCompare(b),
  );
  cells.sort(
    (a, b) => a.site.localeCompare(b.site) || groups.indexOf(a.group) - groups.indexOf(b.group),
  );
  return { generatedAt: ov.generatedAt, window: ov.window, sites: ov.sites, groups, cells };
}

export interface CellPage {
  total: number;
  offset: number;
  limit: number;
  sites: string[];
  targets: string[];
  cells: OverviewCellOut[];
}

/** The site x target cells matching the filters, one page of targets at a time (all sites of each). */
export function cellPage(
  ov: Overview,
  info: Map<string, TargetInfo>,
  o: { group?: string; site?: string; q?: string; offset: number; limit: number },
): CellPage {
  const match = o.q
    ? new Set(searchTargets(ov, info, o.q, Number.MAX_SAFE_INTEGER).map((t) => t.name))
    : null;
  const wanted = new Set(
    ov.targets.filter(
      (t) => (!o.group || groupsOf(info, t).includes(o.group)) && (!match || match.has(t)),
    ),
  );
  const targets = ov.targets.filter((t) => wanted.has(t)).slice(o.offset, o.offset + o.limit);
  const page = new Set(targets);
  const cells = ov.cells.filter((c) => page.has(c.target) && (!o.site || c.site === o.site));
  return {
    total: wanted.size,
    offset: o.offset,
    limit: o.limit,
    sites: o.site ? [o.site] : ov.sites,
    targets,
    cells,
  };
}

export interface WorstPair extends OverviewCellOut {
  score: number;
}

/** A pair whose window median is at least this share of its RTT bound is near failing it. */
export const NEAR_BOUND = 0.9;

/**
 * The n worst pairs; healthy pairs are never listed, so fewer than n come back when fewer are in
 * trouble. by 'loss': pairs that lost pings in the window, highest loss first. by 'sla': pairs
 * failing their SLA now (ok false), or that broke it in some 5-minute bucket of the SLA window
 * (compliance < 1), or whose window median is within 10% of the RTT bound (median >= 0.9 x bound:
 * nearest to failing); ranked by the share of buckets that broke it (1 - compliance), then by the
 * median over the RTT bound. Pairs without the measure (no SLA, no compliance) are left out.
 */
export function worstPairs(
  ov: Overview,
  by: 'loss' | 'sla',
  n: number,
  slaRtt: (c: OverviewCellOut) => number | null,
): WorstPair[] {
  const scored: WorstPair[] = [];
  for (const c of ov.cells) {
    if (by === 'loss') {
      if (c.loss != null && c.loss > 0) scored.push({ ...c, score: c.loss });
      continue;
    }
    if (!c.sla || c.compliance == null) continue;
    const bound = slaRtt(c);
    const over = bound && c.median != null ? c.median / bound : 0;
    if (c.ok !== false && c.compliance >= 1 && over < NEAR_BOUND) continue;
    scored.push({ ...c, score: 1 - c.compliance + over / 1000 }); // compliance first, the ratio breaks ties
  }
  return scored
    .sort(
      (a, b) =>
        b.score - a.score || a.site.localeCompare(b.site) || a.target.localeCompare(b.target),
    )
    .slice(0, n);
}

export interface SearchHit {
  name: string;
  address: string | null;
  groups: string[];
  matched: 'name' | 'address' | 'group';
  sites: number;
  bad: number;
}

/** Targets whose name, address or a group contains q (case-insensitive); names first. */
export function searchTargets(
  ov: Overview,
  info: Map<string, TargetInfo>,
  q: string,
  limit: number,
): SearchHit[] {
  const needle = q.toLowerCase();
  const names = new Set([...ov.targets, ...info.keys()]);
  const per = new Map<string, { sites: number; bad: number }>(); // one pass over the cells, not one per target
  for (const c of ov.cells) {
    const p = per.get(c.target) ?? { sites: 0, bad: 0 };
    p.sites++;
    if (c.ok === false) p.bad++;
    per.set(c.target, p);
  }
  const hits: SearchHit[] = [];
  for (const name of names) {
    const t = info.get(name);
    const matched = name.toLowerCase().includes(needle)
      ? 'name'
      : t?.address?.toLowerCase().includes(needle)
        ? 'address'
        : t?.groups.some((g) => g.toLowerCase().includes(needle))
          ? 'group'
          : null;
    if (!matched) continue;
    hits.push({
      name,
      address: t?.address ?? null,
      groups: t?.groups ?? [],
      matched,
      ...(per.get(name) ?? { sites: 0, bad: 0 }),
    });
  }
  const rank = { name: 0, address: 1, group: 2 };
  return hits
    .sort((a, b) => rank[a.matched] - rank[b.matched] || a.name.localeCompare(b.name))
    .slice(0, limit);
}
