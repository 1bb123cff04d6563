// buildOverview and the fleet views (groups, a page of cells, worst pairs, search) in process, on
// a fake Store that hands back synthetic rows for S sites x T targets: the JavaScript side of
// /api/overview without the database. The reference is the code as of main 99c2348 (bench/ref/);
// both run on the same input, every output is compared byte for byte (JSON), and the ratio is
// printed only when they agree.
//   node --import tsx bench/overview-build.ts [--sites 50] [--targets 2000,10000] [--rows 3]
//     [--runs 3] [--mode fleet|config]
// fleet: the inventory's SLA lookup and the kept window counts (PostgreSQL); config: the local
// config's SLAs and slaCounts (the reference's per-cell slaFor is O(targets): keep T small).
import { parseArgs } from 'node:util';
import type { Bound, TargetConfig } from '../src/config/index.js';
import {
  cellPage,
  groupOverview,
  primeViews,
  searchTargets,
  type TargetInfo,
  worstPairs,
} from '../src/serve/fleet-views.js';
import { buildOverview, type PairSla, type SlaLookup } from '../src/serve/overview.js';
import { mergeParts } from '../src/serve/overview-parts.js';
import { type Store, specKey } from '../src/store/index.js';
import { disagree, verdict } from './bench-util.js';
import * as refViews from './ref/fleet-views-v1.js';
import { buildOverview as refBuild } from './ref/overview-v1.js';

const { values: a } = parseArgs({
  options: {
    sites: { type: 'string', default: '50' },
    targets: { type: 'string', default: '2000,10000' },
    rows: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
    mode: { type: 'string', default: 'fleet' },
  },
});
const SITES = Math.min(Number(a.sites), 200);
const ROWS = Math.min(Number(a.rows), 12);
const RUNS = Math.min(Number(a.runs), 10);
const fleet = a.mode !== 'config';
const NOW = 1_800_000_000;

// deterministic pseudo-random numbers (xorshift), so both sides and every run see the same data
let seed = 12345;
const rnd = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};

const SLAS: PairSla[] = [
  { rtt: { op: '<', value: 0.05 } },
  { rtt: { op: '<=', value: 0.1 }, loss: { op: '<', value: 0.01 } },
  { loss: { op: '<=', value: 0.02 } },
  { rtt: { op: '<', value: 0.02 }, loss: { op: '<', value: 0.005 } },
  { rtt: { op: '<', value: 0.2 } },
];
const GROUPS = 20;
const copy = (s: PairSla): PairSla => ({
  ...(s.rtt ? { rtt: { ...s.rtt } } : {}),
  ...(s.loss ? { loss: { ...s.loss } } : {}),
});

function world(T: number) {
  const sites = Array.from({ length: SITES }, (_, i) => `site${String(i).padStart(2, '0')}`);
  const targets: TargetConfig[] = [];
  const series: string[] = []; // every series name: targets and target@feed
  const info = new Map<string, TargetInfo>();
  for (let i = 0; i < T; i++) {
    // listed out of name order, so the config order and the name order differ
    const name = `t${String((i * 7919) % T).padStart(6, '0')}`;
    const feeds = i % 97 === 0 ? ['b', 'a'] : undefined;
    const g = i % (GROUPS + 1); // group GROUPS: no group
    const sla = g % 6 === 5 ? undefined : SLAS[g % SLAS.length];
    const sitesSla = i % 13 === 0 ? { [sites[1]]: SLAS[(g + 1) % SLAS.length] } : undefined;
    targets.push({
      name,
      host: `198.18.${(i >> 8) & 255}.${i & 255}`,
      ...(feeds ? { feeds } : {}),
      ...(sla ? { sla: sla as never } : {}),
      ...(sitesSla ? { sites: sitesSla as never } : {}),
    } as unknown as TargetConfig);
    series.push(name, ...(feeds ?? []).map((f) => `${name}@${f}`));
    info.set(name, {
      name,
      address: `198.18.${(i >> 8) & 255}.${i & 255}`,
      groups: g === GROUPS ? [] : [`g${g}`, ...(i % 5 === 0 ? ['edge'] : [])],
    });
  }
  const byName = new Map(targets.map((t) => [t.name, t]));
  // like src/fleet/sla.ts slaLookup: a fresh object per call
  const lookup: SlaLookup = (site, name) => {
    const t = byName.get(name.split('@')[0]);
    if (!t) return null;
    const s = (t.sites?.[site] ?? t.sla) as PairSla | undefined;
    return s ? copy(s) : null;
  };
  const recent: Awaited<ReturnType<Store['overviewRows']>> = [];
  const kept: { site: string; target: string; buckets: number; lastTs: number; good: number[] }[] =
    [];
  const keys = SLAS.map((s) => specKey(s.rtt, s.loss));
  for (const site of sites)
    for (const target of series) {
      const r = rnd();
      if (r > 0.01) {
        const n = 1 + Math.floor(rnd() * ROWS);
        for (let k = 0; k < n; k++) {
          const sent = 10 + Math.floor(rnd() * 3);
          recent.push({
            site,
            target,
            ts: NOW - 300 * (k + 1),
            sent,
            received: rnd() < 0.1 ? sent - Math.floor(rnd() * 4) : sent,
            median: rnd() < 0.03 ? null : 0.002 + rnd() * 0.12,
          });
        }
      }
      if (r < 0.995) {
        const buckets = rnd() < 0.02 ? 0 : 200 + Math.floor(rnd() * 88);
        kept.push({
          site,
          target,
          buckets,
          lastTs: NOW - 300,
          good: keys.map(() => (rnd() < 0.7 ? buckets : Math.floor(rnd() * (buckets + 1)))),
        });
      }
    }
  const specIdx = new Map(keys.map((k, i) => [k, i]));
  const store = {
    overviewRows: async () => recent,
    slaCounts: async (_since: number, ts: string[] | null, rtt?: Bound, loss?: Bound) => {
      const i = specIdx.get(specKey(rtt, loss));
      const only = ts ? new Set(ts) : null;
      return kept
        .filter((r) => !only || only.has(r.target))
        .map((r) => ({
          site: r.site,
          target: r.target,
          buckets: r.buckets,
          good: i === undefined ? r.buckets : r.good[i],
          lastTs: r.lastTs,
        }));
    },
    ...(fleet
      ? {
          windowCounts: async () => ({ specs: specIdx, rows: kept }),
          registerSlas: async () => {},
        }
      : {}),
  } as unknown as Store;
  return { sites, targets, info, lookup: fleet ? lookup : null, store, pairs: kept.length };
}

const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
async function timed<T>(f: () => T | Promise<T>): Promise<{ ms: number; first: number; out: T }> {
  let out: T | undefined;
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    out = await f();
    ms.push(performance.now() - t0);
  }
  return { ms: med(ms), first: ms[0], out: out! };
}

// per cell, so half a million cells never make one giant string
function sameCells(what: string, ours: unknown[], ref: unknown[]): boolean {
  if (ours.length !== ref.length)
    return disagree(`${what}: ${ours.length} cells, reference ${ref.length}`);
  for (let i = 0; i < ours.length; i++) {
    const x = JSON.stringify(ours[i]);
    const y = JSON.stringify(ref[i]);
    if (x !== y) return disagree(`${what}: cell ${i}: ours ${x}, reference ${y}`);
  }
  console.log(`  agree: ${what}: ${ours.length} cells byte for byte`);
  return true;
}

// quiet: the outputs are large, so only their size is printed when they agree
function agree(what: string, ours: unknown, ref: unknown): boolean {
  const x = JSON.stringify(ours);
  const y = JSON.stringify(ref);
  if (x !== y)
    return disagree(`${what}: ours ${x.slice(0, 300)}..., reference ${y.slice(0, 300)}...`);
  console.log(`  agree: ${what}: ${x.length} bytes of JSON`);
  return true;
}

// median, and the first call alone: the views derive an index once per matrix, which the first
// view asked for pays
const f1 = (x: number) => x.toFixed(1).padStart(8);
const row = (what: string, o: { ms: number; first: number }, r: { ms: number; first: number }) =>
  console.log(
    `  ${what.padEnd(18)} ours ${f1(o.ms)} ms  reference ${f1(r.ms)} ms  ratio ${(r.ms / o.ms).toFixed(2)}x   first call: ours ${f1(o.first)} ms  reference ${f1(r.first)} ms`,
  );

for (const T of a.targets.split(',').map(Number)) {
  const w = world(Math.min(T, 20_000));
  console.log(
    `${SITES} sites x ${T} targets (${w.pairs} kept pairs), mode ${fleet ? 'fleet' : 'config'}, ${RUNS} runs, median:`,
  );
  const ref = await timed(() => refBuild(w.store, w.targets, NOW, 3600, 86400, w.lookup));
  const ours = await timed(() => buildOverview(w.store, w.targets, NOW, 3600, 86400, w.lookup));
  const { cells: oc, ...ohead } = ours.out;
  const { cells: rc, ...rhead } = ref.out;
  const okBuild = agree('overview head', ohead, rhead) && sameCells('overview cells', oc, rc);
  const results: [string, typeof ours, typeof ref][] = [['buildOverview', ours, ref]];
  const rtt = (c: { site: string; target: string }) =>
    (w.lookup ?? (() => null))(c.site, c.target)?.rtt?.value ?? null;
  const views: [string, (o: never) => unknown, (o: never) => unknown][] = [
    ['groups', (o) => groupOverview(o, w.info), (o) => refViews.groupOverview(o, w.info)],
    [
      'cells page',
      (o) => cellPage(o, w.info, { offset: 100, limit: 100 }),
      (o) => refViews.cellPage(o, w.info, { offset: 100, limit: 100 }),
    ],
    [
      'cells group+site',
      (o) => cellPage(o, w.info, { group: 'g3', site: w.sites[1], offset: 0, limit: 100 }),
      (o) => refViews.cellPage(o, w.info, { group: 'g3', site: w.sites[1], offset: 0, limit: 100 }),
    ],
    [
      'cells q',
      (o) => cellPage(o, w.info, { q: '19', offset: 0, limit: 100 }),
      (o) => refViews.cellPage(o, w.info, { q: '19', offset: 0, limit: 100 }),
    ],
    [
      'worst loss',
      (o) => worstPairs(o, 'loss', 20, rtt),
      (o) => refViews.worstPairs(o, 'loss', 20, rtt),
    ],
    [
      'worst sla',
      (o) => worstPairs(o, 'sla', 20, rtt),
      (o) => refViews.worstPairs(o, 'sla', 20, rtt),
    ],
    [
      'search',
      (o) => searchTargets(o, w.info, '12', 50),
      (o) => refViews.searchTargets(o, w.info, '12', 50),
    ],
    [
      'search group',
      (o) => searchTargets(o, w.info, 'edge', 50),
      (o) => refViews.searchTargets(o, w.info, 'edge', 50),
    ],
  ];
  let okViews = true;
  for (const [what, f, g] of views) {
    const o = await timed(() => f(ours.out as never));
    const r = await timed(() => g(ref.out as never));
    if (!agree(what, o.out, r.out)) okViews = false;
    results.push([what, o as never, r as never]);
  }
  if (okBuild && okViews) for (const [what, o, r] of results) row(what, o, r);
  else disagree(`${T} targets: outputs differ, no ratio`);
  // the API's request path at this size: the same matrix as per-site parts (each primed as its
  // build primes it), merged, then each view; it must answer exactly as the whole matrix does
  const whole = ours.out;
  const bySite = new Map<string, typeof whole.cells>();
  for (const c of whole.cells) {
    if (!bySite.has(c.site)) bySite.set(c.site, []);
    bySite.get(c.site)!.push(c);
  }
  const parts = [...bySite].map(([site, cells]) => {
    const has = new Set(cells.map((c) => c.target));
    return { ...whole, sites: [site], targets: whole.targets.filter((t) => has.has(t)), cells };
  });
  for (const p of parts) primeViews(p, w.info, rtt);
  const merged = await timed(() =>
    mergeParts(parts, { now: NOW, window: 3600, targets: w.targets }),
  );
  console.log(`  per-site parts: merge of ${parts.length} parts ${f1(merged.ms)} ms (median)`);
  for (const [what, f] of views) {
    const o = await timed(() => f(merged.out as never));
    const r = await timed(() => f(whole as never));
    if (agree(`${what} (parts)`, o.out, r.out))
      console.log(
        `  ${what.padEnd(18)} parts ${f1(o.ms)} ms, first call ${f1(o.first)} ms; whole matrix ${f1(r.ms)} ms`,
      );
  }
}
verdict();
