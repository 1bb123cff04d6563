// The overview build as of main 99c2348, kept as bench/overview-build.ts's reference: the
// optimised src/serve/overview.ts must give the same bytes. Not used by the product.
/**
 * The latency overview matrix (site x target): median RTT and loss over the recent window, and SLA
 * compliance (share of 5-minute buckets meeting the pair's bounds) over the SLA window. The recent
 * window reads a few 5-minute rows per pair; compliance is counted inside the database, one
 * grouped query per distinct SLA, so 100 targets x 30 days stay well under 300 ms.
 */
import { formatBound, meets, type Bound } from '../../src/config/index.js';
import type { TargetConfig } from '../../src/config/index.js';
import type { Store } from '../../src/store/index.js';
import { median, specKey as storeSpecKey } from '../../src/store/index.js';
import { splitSeries } from '../../src/serve/feeds.js';

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

const specKey = (s: PairSla) => JSON.stringify([s.rtt ?? null, s.loss ?? null]);
const pairKey = (site: string, target: string) => `${site}\u0000${target}`;

export async function buildOverview(
  store: Store,
  targets: TargetConfig[],
  now: number,
  window = 3600,
  slaWindow = 86400,
  lookup?: SlaLookup | null,
): Promise<Overview> {
  const since = now - slaWindow;
  const slaOf: SlaLookup = lookup ?? ((site, target) => slaFor(targets, site, target));
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
  const kept = store.windowCounts ? store.windowCounts(since) : null;
  const countAll = async (win: Awaited<typeof kept>) => {
    const missing: PairSla[] = [];
    const out = await Promise.all(
      [...specs.values()].map(async (s) => {
        const i = win?.specs.get(storeSpecKey(s.sla.rtt, s.sla.loss));
        if (win && i !== undefined)
          return win.rows.map((r) => ({
            site: r.site,
            target: r.target,
            buckets: r.buckets,
            good: r.good[i] ?? 0,
          }));
        if (store.registerSlas) missing.push(s.sla);
        return store.slaCounts(since, [...s.targets], s.sla.rtt, s.sla.loss);
      }),
    );
    // a role that may not register SLAs still gets its answer, only from the direct count
    if (missing.length) await store.registerSlas?.(missing).catch(() => {});
    return out;
  };
  const early = lookup || kept ? null : countAll(null);
  const [recent, win] = await Promise.all([store.overviewRows(now - window), kept]);
  const all = win
    ? win.rows.map((r) => ({
        site: r.site,
        target: r.target,
        buckets: r.buckets,
        good: r.buckets,
        lastTs: r.lastTs,
      }))
    : await store.slaCounts(since, null);
  if (lookup) for (const r of [...all, ...recent]) addSpec(lookup(r.site, r.target), r.target);
  const counted = await (early ?? countAll(win));
  const goodBy = new Map<string, Map<string, { buckets: number; good: number }>>();
  [...specs.keys()].forEach((k, i) =>
    goodBy.set(k, new Map(counted[i].map((r) => [pairKey(r.site, r.target), r]))),
  );
  const byPair = new Map<string, typeof recent>();
  for (const r of recent) {
    const k = pairKey(r.site, r.target);
    if (!byPair.has(k)) byPair.set(k, []);
    byPair.get(k)!.push(r);
  }
  const pairs = new Map(all.map((r) => [pairKey(r.site, r.target), r.lastTs]));
  for (const r of recent)
    if (!pairs.has(pairKey(r.site, r.target))) pairs.set(pairKey(r.site, r.target), r.ts);
  const cells: OverviewCellOut[] = [];
  for (const [k, lastTs] of pairs) {
    const [site, target] = k.split('\u0000');
    const rs = byPair.get(k) ?? [];
    const sent = rs.reduce((a, r) => a + Number(r.sent), 0);
    const received = rs.reduce((a, r) => a + Number(r.received), 0);
    const med = median(rs.map((r) => r.median).filter((x): x is number => x != null));
    const sla = slaOf(site, target);
    const c = sla ? goodBy.get(specKey(sla))?.get(k) : undefined;
    const compliance = c && c.buckets ? c.good / c.buckets : null;
    const loss = sent ? 1 - received / sent : null;
    const ok =
      !sla || med == null
        ? null
        : (!sla.rtt || meets(sla.rtt, med)) && (!sla.loss || loss == null || meets(sla.loss, loss));
    cells.push({
      site,
      target,
      median: med,
      loss,
      sent,
      compliance,
      ok,
      sla: sla
        ? {
            ...(sla.rtt ? { rtt: formatBound(sla.rtt, 'ms') } : {}),
            ...(sla.loss ? { loss: formatBound(sla.loss, '%') } : {}),
          }
        : null,
      lastTs: lastTs || null,
      ...(splitSeries(target).feed ? { feed: splitSeries(target).feed } : {}),
    });
  }
  const order = new Map(targets.map((t, i) => [t.name, i]));
  // a target's feeds sit next to it, in the order the target lists them
  const rank = (s: string) => {
    const { target, feed } = splitSeries(s);
    const t = order.get(target);
    const f = feed ? (targets[t ?? -1]?.feeds?.indexOf(feed) ?? -1) + 1 : 0;
    return (t ?? 1e9) * 100 + (f || (feed ? 99 : 0));
  };
  const tnames = [...new Set(cells.map((c) => c.target))].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b),
  );
  const snames = [...new Set(cells.map((c) => c.site))].sort();
  // a position map, not indexOf: at 50 sites x 10,000 targets indexOf made the sort O(cells x targets)
  const tpos = new Map(tnames.map((t, i) => [t, i]));
  cells.sort((a, b) => a.site.localeCompare(b.site) || tpos.get(a.target)! - tpos.get(b.target)!);
  return { generatedAt: now, window, slaWindow, sites: snames, targets: tnames, cells };
}
