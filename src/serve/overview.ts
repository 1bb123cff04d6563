/**
 * The latency overview matrix (site x target): median RTT and loss over the recent window, and SLA
 * compliance (share of 5-minute buckets meeting the pair's bounds) over the SLA window. The recent
 * window reads a few 5-minute rows per pair; compliance is counted inside the database, one
 * grouped query per distinct SLA, so 100 targets x 30 days stay well under 300 ms.
 */
import { formatBound, meets, type Bound } from '../config/index.js';
import type { TargetConfig } from '../config/index.js';
import type { Store } from '../store/index.js';
import { median, specKey as storeSpecKey } from '../store/index.js';
import { splitSeries } from './feeds.js';

export interface PairSla {
  rtt?: Bound;
  loss?: Bound;
}
export interface OverviewCellOut {
  site: string;
  target: string;
  median: number | null;
  loss: number | null;
  sent: number;
  compliance: number | null;
  sla: { rtt?: string; loss?: string } | null;
  ok: boolean | null;
  lastTs: number | null;
  /** set for a target measured through a transit feed: `target` is then the series `name@feed` */
  feed?: string;
}
export interface Overview {
  generatedAt: number;
  window: number;
  slaWindow: number;
  sites: string[];
  targets: string[];
  cells: OverviewCellOut[];
}

/** The SLA of a pair from somewhere other than the local config (the fleet inventory). */
export type SlaLookup = (site: string, target: string) => PairSla | null;

export function slaFor(targets: TargetConfig[], site: string, target: string): PairSla | null {
  // each feed of a target is held to the target's SLA
  const base = splitSeries(target).target;
  const t = targets.find((x) => x.name === base);
  if (!t) return null;
  const s = t.sites?.[site] ?? t.sla;
  return s && (s.rtt || s.loss) ? s : null;
}

type CountRow = { site: string; target: string; buckets: number; good: number };
interface Pair {
  k: string;
  site: string;
  target: string;
  lastTs: number;
  rows: { sent: number; received: number; median: number | null }[];
  sla: PairSla | null;
  m: SlaMemo | null;
  win: { buckets: number; good: number[] } | null;
}
interface SlaMemo {
  sla: PairSla;
  /** specKey: the key of `specs` and of the counts */
  key: string;
  out: { rtt?: string; loss?: string };
  /** set once the counts are in: index into the kept counts' good[], or -1 */
  winIdx: number;
  /** index of the SLA's counted rows, or -1 when it has none; -2 until the counts are in */
  i: number;
}
const boundKey = (b?: Bound) => (b ? b.op + b.value : '');
const opCode = (b?: Bound) => (!b ? 0 : b.op === '<' ? 1 : b.op === '<=' ? 2 : 3);

/**
 * Each distinct SLA's memo, found by the numbers of its bounds (no string built per pair: at
 * 500,000 pairs the key strings and JSON were a large part of the build). Two SLAs with the same
 * operators and values are the same SLA: formatBound, meets and the counts read nothing else.
 */
function slaMemos() {
  const tree = new Map<number, Map<number, Map<number, SlaMemo>>>();
  const odd = new Map<string, SlaMemo>(); // an operator the types do not know: by string
  const make = (sla: PairSla): SlaMemo => ({
    sla,
    key: specKey(sla),
    out: {
      ...(sla.rtt ? { rtt: formatBound(sla.rtt, 'ms') } : {}),
      ...(sla.loss ? { loss: formatBound(sla.loss, '%') } : {}),
    },
    winIdx: -1,
    i: -2,
  });
  return (sla: PairSla): SlaMemo => {
    const a = opCode(sla.rtt);
    const b = opCode(sla.loss);
    if (a === 3 || b === 3) {
      const k = boundKey(sla.rtt) + '|' + boundKey(sla.loss);
      let m = odd.get(k);
      if (!m) odd.set(k, (m = make(sla)));
      return m;
    }
    let t1 = tree.get(a * 4 + b);
    if (!t1) tree.set(a * 4 + b, (t1 = new Map()));
    const rv = sla.rtt ? sla.rtt.value : 0;
    let t2 = t1.get(rv);
    if (!t2) t1.set(rv, (t2 = new Map()));
    const lv = sla.loss ? sla.loss.value : 0;
    let m = t2.get(lv);
    if (!m) t2.set(lv, (m = make(sla)));
    return m;
  };
}

/** slaFor with the targets indexed by name once (the first of a name, as find gives). */
export function slaIndex(
  targets: TargetConfig[],
): (site: string, target: string) => PairSla | null {
  const byName = new Map<string, TargetConfig>();
  for (const t of targets) if (!byName.has(t.name)) byName.set(t.name, t);
  return (site, target) => {
    const t = byName.get(splitSeries(target).target);
    if (!t) return null;
    const s = t.sites?.[site] ?? t.sla;
    return s && (s.rtt || s.loss) ? s : null;
  };
}

const specKey = (s: PairSla) => JSON.stringify([s.rtt ?? null, s.loss ?? null]);
const pairKey = (site: string, target: string) => `${site}\u0000${target}`;

export async function buildOverview(
  store: Store,
  targets: TargetConfig[],
  now: number,
  window = 3600,
  slaWindow = 86400,
  lookup?: SlaLookup | null,
  site?: string,
): Promise<Overview> {
  const since = now - slaWindow;
  // every distinct SLA and the targets it is written for: from the config up front (so the counts
  // run together with the rest); from the inventory per pair once the pairs are known
  const specs = new Map<string, { sla: PairSla; targets: Set<string> }>();
  const addSpec = (s: PairSla | null | undefined, target: string) => {
    if (!s || (!s.rtt && !s.loss)) return;
    const k = specKey(s);
    if (!specs.has(k)) specs.set(k, { sla: s, targets: new Set() });
    specs.get(k)!.targets.add(target);
  };
  if (!lookup) {
    for (const t of targets) {
      const names = [t.name, ...(t.feeds ?? []).map((f) => `${t.name}@${f}`)];
      for (const s of [t.sla, ...Object.values(t.sites ?? {})])
        for (const n of names) addSpec(s, n);
    }
  }
  // PostgreSQL keeps the SLA window's counts at rollup time (one row per pair); else, or while that
  // state is not current, the counts are queried from the 5-minute rows
  // with `site`, every read is that site's only: the matrix's part for one site (overview-parts.ts)
  const kept = store.windowCounts ? store.windowCounts(since, site) : null;
  const countAll = async (win: Awaited<typeof kept>) => {
    const missing: PairSla[] = [];
    const out = await Promise.all(
      [...specs.values()].map(async (s) => {
        const i = win?.specs.get(storeSpecKey(s.sla.rtt, s.sla.loss));
        // kept counts: read off each pair's row (good[i]), no per-SLA copy of the rows
        if (win && i !== undefined) return { idx: i };
        if (store.registerSlas) missing.push(s.sla);
        return store.slaCounts(since, [...s.targets], s.sla.rtt, s.sla.loss, site);
      }),
    );
    // a role that may not register SLAs still gets its answer, only from the direct count
    if (missing.length) await store.registerSlas?.(missing).catch(() => {});
    return out;
  };
  const early = lookup || kept ? null : countAll(null);
  // the recent rows folded per pair in the database where it can (same sums and median double)
  const recentOf = async () =>
    (store.overviewPairs ? await store.overviewPairs(now - window, site) : null) ??
    store.overviewRows(now - window, site);
  const [recent, win] = await Promise.all([recentOf(), kept]);
  const all: { site: string; target: string; lastTs: number }[] = win
    ? win.rows
    : await store.slaCounts(since, null, undefined, undefined, site);
  // one record per pair, its recent rows grouped in one pass; the SLA looked up once per pair
  // (not per row and again per cell): at 50 sites x 10,000 targets the per-cell work is the cost.
  // Keyed site -> target -> pair: no key string built per row, and a run of one pair's rows
  // (the usual order from the database) costs no lookup at all.
  const bySite = new Map<string, Map<string, Pair>>();
  const list: Pair[] = [];
  let last: Pair | null = null;
  const pairOf = (site: string, target: string, lastTs: number) => {
    if (last && last.target === target && last.site === site) return last;
    let m = bySite.get(site);
    if (!m) {
      m = new Map();
      bySite.set(site, m);
    }
    let p = m.get(target);
    if (!p) {
      p = { k: '', site, target, lastTs, rows: [], sla: null, m: null, win: null };
      m.set(target, p);
      list.push(p);
    }
    last = p;
    return p;
  };
  for (const r of all) {
    const p = pairOf(r.site, r.target, r.lastTs);
    p.lastTs = r.lastTs;
    if (win) p.win = r as (typeof win.rows)[number];
  }
  for (const r of recent) pairOf(r.site, r.target, r.ts).rows.push(r);
  const slaFast = lookup ? null : slaIndex(targets);
  const memoOf = slaMemos();
  for (const p of list) {
    const sla = lookup ? lookup(p.site, p.target) : slaFast!(p.site, p.target);
    p.sla = sla;
    p.m = sla ? memoOf(sla) : null;
    if (lookup && sla && (sla.rtt || sla.loss)) {
      let e = specs.get(p.m!.key);
      if (!e) specs.set(p.m!.key, (e = { sla, targets: new Set() }));
      e.targets.add(p.target);
    }
  }
  const counted = await (early ?? countAll(win));
  const specIdx = new Map([...specs.keys()].map((k, i) => [k, i]));
  const goodBy: (Map<string, { buckets: number; good: number }> | null)[] = counted.map(() => null);
  // each distinct SLA's count index, found once, not once per cell
  const resolve = (m: SlaMemo) => {
    const i = specIdx.get(m.key);
    const c = i === undefined ? undefined : counted[i];
    // the kept counts: an index into each pair's good[]; else the rows counted for this SLA
    m.winIdx = c && !Array.isArray(c) ? c.idx : -1;
    m.i = i ?? -1;
  };
  const countOf = (m: SlaMemo, p: Pair) => {
    if (m.i === -2) resolve(m);
    if (m.winIdx >= 0)
      return p.win ? { buckets: p.win.buckets, good: p.win.good[m.winIdx] ?? 0 } : undefined;
    if (m.i < 0) return undefined;
    let g = goodBy[m.i];
    if (!g) {
      g = new Map((counted[m.i] as CountRow[]).map((r) => [pairKey(r.site, r.target), r]));
      goodBy[m.i] = g;
    }
    p.k ||= pairKey(p.site, p.target);
    return g.get(p.k);
  };
  const split = new Map<string, { target: string; feed: string }>();
  const splitOf = (t: string) => {
    let x = split.get(t);
    if (!x) {
      x = splitSeries(t);
      split.set(t, x);
    }
    return x;
  };
  const cells: OverviewCellOut[] = new Array(list.length);
  let n = 0;
  const meds: number[] = [];
  for (const p of list) {
    const rs = p.rows;
    let sent = 0;
    let received = 0;
    meds.length = 0;
    for (const r of rs) {
      sent += Number(r.sent);
      received += Number(r.received);
      if (r.median != null) meds.push(r.median);
    }
    // one value is its own median (the common case: few rows per pair in the window)
    const med = meds.length === 1 ? Number(meds[0]) : median(meds);
    const sla = p.sla;
    const m = p.m;
    const c = m ? countOf(m, p) : undefined;
    const compliance = c && c.buckets ? c.good / c.buckets : null;
    const loss = sent ? 1 - received / sent : null;
    const ok =
      !sla || med == null
        ? null
        : (!sla.rtt || meets(sla.rtt, med)) && (!sla.loss || loss == null || meets(sla.loss, loss));
    const feed = splitOf(p.target).feed;
    const cell: OverviewCellOut = {
      site: p.site,
      target: p.target,
      median: med,
      loss,
      sent,
      compliance,
      ok,
      sla: m ? m.out : null, // shared by the cells of one SLA: read-only
      lastTs: p.lastTs || null,
    };
    if (feed) cell.feed = feed;
    cells[n++] = cell;
  }
  const tseen = new Set<string>();
  const sseen = new Set<string>();
  for (const c of cells) {
    tseen.add(c.target);
    sseen.add(c.site);
  }
  const tnames = sortTargets(tseen, targets, splitOf);
  const snames = [...sseen].sort();
  // one integer key per cell (site rank x targets + target position), sorted once: the comparator
  // no longer calls localeCompare or a Map per comparison. Sites equal under localeCompare share a
  // rank and keep their order, as the stable sort on the strings did.
  const byLocale = [...sseen].sort((a, b) => a.localeCompare(b));
  const srank = new Map<string, number>();
  byLocale.forEach((s, i) =>
    srank.set(s, i && byLocale[i - 1].localeCompare(s) === 0 ? srank.get(byLocale[i - 1])! : i),
  );
  const tpos = new Map(tnames.map((t, i) => [t, i]));
  const nt = tnames.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = srank.get(cells[i].site)! * nt + tpos.get(cells[i].target)!;
  const sorted: OverviewCellOut[] = new Array(n);
  // the keys are distinct (one cell per pair) unless sites tie under localeCompare: then, or when
  // the site x target grid is much larger than the cells, a comparison sort; else each cell goes
  // straight to its slot
  const slots = byLocale.length * nt;
  const distinct = srank.size === new Set(srank.values()).size;
  if (distinct && slots <= 8 * n + 1024) {
    const at = new Int32Array(slots).fill(-1);
    for (let i = 0; i < n; i++) at[keys[i]] = i;
    let j = 0;
    for (let x = 0; x < slots; x++) if (at[x] >= 0) sorted[j++] = cells[at[x]];
  } else {
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((x, y) => keys[x] - keys[y] || x - y);
    for (let i = 0; i < n; i++) sorted[i] = cells[idx[i]];
  }
  return { generatedAt: now, window, slaWindow, sites: snames, targets: tnames, cells: sorted };
}

/**
 * The matrix's target order: the config's order (a target's feeds next to it, in the order the
 * target lists them), then the others by name. The merged per-site parts use it too.
 */
export function sortTargets(
  names: Iterable<string>,
  targets: TargetConfig[],
  splitOf: (t: string) => { target: string; feed: string } = splitSeries,
): string[] {
  const order = new Map(targets.map((t, i) => [t.name, i]));
  const rank = (s: string) => {
    const { target, feed } = splitOf(s);
    const t = order.get(target);
    const f = feed ? (targets[t ?? -1]?.feeds?.indexOf(feed) ?? -1) + 1 : 0;
    return (t ?? 1e9) * 100 + (f || (feed ? 99 : 0));
  };
  const tranks = new Map<string, number>();
  for (const t of names) tranks.set(t, rank(t));
  return [...tranks.keys()].sort((a, b) => tranks.get(a)! - tranks.get(b)! || a.localeCompare(b));
}
