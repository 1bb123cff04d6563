/**
 * Views of the overview for fleets with many targets, computed from one Overview (whichever way
 * it was built): site x group summaries, a paged site x target drill-down, the worst pairs, and
 * search by target name, address or group. Pure functions: data in, data out; routes/api.ts
 * serves them, and no response carries more than a page of cells.
 */
import type { Overview, OverviewCellOut } from './overview.js';

/**
 * The matrix as the views read it: one Overview, or the per-site parts of one (overview-parts.ts)
 * in site order, with the union of their targets in the matrix's order. Every view gives the same
 * answer for the parts as for the one Overview they add up to.
 */
export interface Matrix {
  generatedAt: number;
  window: number;
  sites: string[];
  targets: string[];
  parts: Overview[];
}
const asMatrix = (m: Overview | Matrix): Matrix =>
  'parts' in m
    ? m
    : {
        generatedAt: m.generatedAt,
        window: m.window,
        sites: m.sites,
        targets: m.targets,
        parts: [m],
      };

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
export function groupOverview(ov: Overview | Matrix, info: Map<string, TargetInfo>): GroupOverview {
  const m = asMatrix(ov);
  const cells = m.parts.flatMap((p) => groupCellsOf(p, info));
  const groups = [...new Set(cells.map((c) => c.group))].sort((a, b) =>
    a === NO_GROUP ? 1 : b === NO_GROUP ? -1 : a.localeCompare(b),
  );
  const gi = new Map(groups.map((g, i) => [g, i]));
  cells.sort((a, b) => a.site.localeCompare(b.site) || gi.get(a.group)! - gi.get(b.group)!);
  return { generatedAt: m.generatedAt, window: m.window, sites: m.sites, groups, cells };
}

/** One matrix's (or part's) group cells, unsorted; kept per matrix and target info. */
function groupCellsOf(ov: Overview, info: Map<string, TargetInfo>): GroupCell[] {
  const x = indexOf(ov);
  x.groups ??= new WeakMap();
  let cells = x.groups.get(info);
  if (!cells) {
    cells = groupCells(ov, info);
    x.groups.set(info, cells);
  }
  return cells;
}

function groupCells(ov: Overview, info: Map<string, TargetInfo>): GroupCell[] {
  // one pass: counts, medians and extremes gathered per (site, group) as the cells go by
  const acc = new Map<string, GroupCell & { meds: number[] }>();
  for (const c of ov.cells) {
    for (const g of groupsOf(info, c.target)) {
      const k = `${c.site}\u0000${g}`;
      let a = acc.get(k);
      if (!a) {
        a = {
          site: c.site,
          group: g,
          targets: 0,
          ok: 0,
          bad: 0,
          unknown: 0,
          median: null,
          worstLoss: null,
          minCompliance: null,
          meds: [],
        };
        acc.set(k, a);
      }
      a.targets++;
      if (c.ok === true) a.ok++;
      else if (c.ok === false) a.bad++;
      else a.unknown++;
      if (c.median != null) a.meds.push(c.median);
      if (c.loss != null)
        a.worstLoss = a.worstLoss === null ? c.loss : Math.max(a.worstLoss, c.loss);
      if (c.compliance != null)
        a.minCompliance =
          a.minCompliance === null ? c.compliance : Math.min(a.minCompliance, c.compliance);
    }
  }
  return [...acc.values()].map(({ meds, ...a }) => ({ ...a, median: mid(meds) }));
}

/**
 * What the per-request views read of one matrix, derived once per Overview object (the cache
 * hands the same object to every request of a window): each target's cell positions, and its
 * sites and failing pairs. Weakly held: it goes with the matrix.
 */
interface MatrixIndex {
  at: Map<string, number[]>;
  per: Map<string, { sites: number; bad: number }>;
  /** the lossy cells ranked (worstPairs 'loss' depends on nothing else) */
  lossy?: Ranked[];
  /** the cells worstPairs 'sla' lists, ranked, per function giving a cell's RTT bound */
  sla?: WeakMap<object, Ranked[]>;
  /** the group cells per target info */
  groups?: WeakMap<Map<string, TargetInfo>, GroupCell[]>;
}
type Ranked = { c: OverviewCellOut; score: number };
const indexes = new WeakMap<Overview, MatrixIndex>();
function indexOf(ov: Overview): MatrixIndex {
  let x = indexes.get(ov);
  if (!x) {
    const at = new Map<string, number[]>();
    const per = new Map<string, { sites: number; bad: number }>();
    ov.cells.forEach((c, i) => {
      let a = at.get(c.target);
      if (!a) {
        at.set(c.target, (a = []));
        per.set(c.target, { sites: 0, bad: 0 });
      }
      a.push(i);
      const p = per.get(c.target)!;
      p.sites++;
      if (c.ok === false) p.bad++;
    });
    x = { at, per };
    indexes.set(ov, x);
  }
  return x;
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
  ov: Overview | Matrix,
  info: Map<string, TargetInfo>,
  o: { group?: string; site?: string; q?: string; offset: number; limit: number },
): CellPage {
  const m = asMatrix(ov);
  const match = o.q ? new Set(matching(m, info, o.q).map((t) => t.name)) : null;
  const wanted = m.targets.filter(
    (t) => (!o.group || groupsOf(info, t).includes(o.group)) && (!match || match.has(t)),
  );
  const targets = wanted.slice(o.offset, o.offset + o.limit);
  // the page's cells by position, in the matrix's order: no pass over every cell per request;
  // the parts are in site order, so their pages one after the other are the matrix's order
  const cells: OverviewCellOut[] = [];
  for (const p of m.parts) {
    const { at } = indexOf(p);
    const pos: number[] = [];
    for (const t of targets) for (const i of at.get(t) ?? []) pos.push(i);
    pos.sort((a, b) => a - b);
    for (const i of pos) if (!o.site || p.cells[i].site === o.site) cells.push(p.cells[i]);
  }
  return {
    total: wanted.length,
    offset: o.offset,
    limit: o.limit,
    sites: o.site ? [o.site] : m.sites,
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
  ov: Overview | Matrix,
  by: 'loss' | 'sla',
  n: number,
  slaRtt: (c: OverviewCellOut) => number | null,
): WorstPair[] {
  const m = asMatrix(ov);
  const lists = m.parts.map((p) => ranked(p, by, slaRtt));
  // each part's list is in rank order: the first n of their merge are the matrix's first n
  const out: WorstPair[] = [];
  const head = lists.map(() => 0);
  while (out.length < n) {
    let best = -1;
    for (let i = 0; i < lists.length; i++)
      if (
        head[i] < lists[i].length &&
        (best < 0 || rank(lists[i][head[i]], lists[best][head[best]]) < 0)
      )
        best = i;
    if (best < 0) break;
    const { c, score } = lists[best][head[best]++];
    out.push({ ...c, score });
  }
  return out;
}

const rank = (a: Ranked, b: Ranked) =>
  b.score - a.score || a.c.site.localeCompare(b.c.site) || a.c.target.localeCompare(b.c.target);

/**
 * A matrix's (or part's) cells that worstPairs lists, ranked; kept per matrix (by loss) and per
 * RTT-bound function (by sla: pass the same function to reuse it).
 */
function ranked(
  ov: Overview,
  by: 'loss' | 'sla',
  slaRtt: (c: OverviewCellOut) => number | null,
): Ranked[] {
  const x = indexOf(ov);
  if (by === 'loss') {
    if (!x.lossy) {
      x.lossy = [];
      for (const c of ov.cells)
        if (c.loss != null && c.loss > 0) x.lossy.push({ c, score: c.loss });
      x.lossy.sort(rank);
    }
    return x.lossy;
  }
  x.sla ??= new WeakMap();
  let scored = x.sla.get(slaRtt);
  if (!scored) {
    scored = [];
    for (const c of ov.cells) {
      if (!c.sla || c.compliance == null) continue;
      const bound = slaRtt(c);
      const over = bound && c.median != null ? c.median / bound : 0;
      if (c.ok !== false && c.compliance >= 1 && over < NEAR_BOUND) continue;
      scored.push({ c, score: 1 - c.compliance + over / 1000 }); // compliance first, the ratio breaks ties
    }
    scored.sort(rank);
    x.sla.set(slaRtt, scored);
  }
  return scored;
}

/**
 * Everything the views derive from one part, computed now (overview-parts.ts calls it when it
 * builds a part, so a request only merges).
 */
export function primeViews(
  ov: Overview,
  info: Map<string, TargetInfo>,
  slaRtt: (c: OverviewCellOut) => number | null,
): void {
  groupCellsOf(ov, info);
  ranked(ov, 'loss', slaRtt);
  ranked(ov, 'sla', slaRtt);
}

export interface SearchHit {
  name: string;
  address: string | null;
  groups: string[];
  matched: 'name' | 'address' | 'group';
  sites: number;
  bad: number;
}

/** Every target whose name, address or a group contains q (case-insensitive), unsorted, no counts. */
function matching(m: Matrix, info: Map<string, TargetInfo>, q: string): SearchHit[] {
  const needle = q.toLowerCase();
  const names = new Set([...m.targets, ...info.keys()]);
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
      sites: 0,
      bad: 0,
    });
  }
  return hits;
}

/** Targets whose name, address or a group contains q (case-insensitive); names first. */
export function searchTargets(
  ov: Overview | Matrix,
  info: Map<string, TargetInfo>,
  q: string,
  limit: number,
): SearchHit[] {
  const m = asMatrix(ov);
  const hits = matching(m, info, q);
  const rank = { name: 0, address: 1, group: 2 };
  const out = hits
    .sort((a, b) => rank[a.matched] - rank[b.matched] || a.name.localeCompare(b.name))
    .slice(0, limit);
  // sites and failing pairs of the listed targets only, summed over the parts: at 50 sites x
  // 10,000 targets summing every target's counts after each part change cost ~190 ms a search
  const pers = m.parts.map((p) => indexOf(p).per);
  for (const h of out)
    for (const per of pers) {
      const x = per.get(h.name);
      if (x) {
        h.sites += x.sites;
        h.bad += x.bad;
      }
    }
  return out;
}
