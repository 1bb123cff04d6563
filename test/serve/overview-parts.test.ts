import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PgDriver, SqlStore, type PingRound, type Store } from '../../src/store/index.js';
import { buildOverview, type OverviewCellOut, type PairSla } from '../../src/serve/overview.js';
import {
  cellPage,
  groupOverview,
  searchTargets,
  worstPairs,
  type Matrix,
  type TargetInfo,
} from '../../src/serve/fleet-views.js';
import type { Overview } from '../../src/serve/overview.js';
import { OverviewParts, type PartsRequest } from '../../src/serve/overview-parts.js';
import { startPg, type PgCluster } from '../store/pg-cluster.js';

// the fleet views merged from per-site parts must be the views of the matrix built whole, on a
// real PostgreSQL (the recent rows folded per pair in SQL, medians of even counts and of no
// medians included); a part is re-read only when its site's watermark, a window cut's 5-minute
// step or the SLA lookup changes
const T0 = 1_700_000_000 - (1_700_000_000 % 3600);
const H = 3600;
let pg: PgCluster;
before(async () => {
  pg = await startPg();
});
after(() => {
  pg?.stop();
});

const SLA: PairSla = { rtt: { op: '<', value: 0.03 }, loss: { op: '<', value: 0.1 } };
const SLA2: PairSla = { rtt: { op: '<=', value: 0.02 } };
const info = new Map<string, TargetInfo>(
  ['t0', 't1', 't2', 't3', 'dark'].map((t, i) => [
    t,
    { name: t, address: `198.18.0.${i + 1}`, groups: i % 2 ? ['odd'] : i ? ['even'] : [] },
  ]),
);

/** Rounds of site s over the 3 hours before `end`: varied RTT and loss; 'dark' answers nothing. */
function rounds(site: string, end: number, from = end - 3 * H, every = 150): PingRound[] {
  const out: PingRound[] = [];
  for (const [j, target] of ['t0', 't1', 't2', 't3', 'dark'].entries()) {
    // t3 at site b misses a few buckets: pairs with an even number of rows in the window
    for (let ts = from; ts < end; ts += every) {
      const k = Math.floor(ts / every);
      if (target === 't3' && site === 'b' && k % 7 === 0) continue;
      const lost =
        target === 'dark' ? 20 : (k + j + site.length) % 5 === 0 ? 3 : k % 13 === 0 ? 20 : 0;
      const base = 0.005 + ((k * 7 + j * 3 + site.charCodeAt(0)) % 10) * 0.004;
      const rtts = Array.from({ length: 20 - lost }, (_, p) => base + p * 0.0001);
      out.push({ site, target, ts: ts + j, sent: 20, received: rtts.length, rtts });
    }
  }
  return out;
}

function views(m: Overview | Matrix, slaRtt: (c: OverviewCellOut) => number | null) {
  return JSON.stringify({
    groups: { ...groupOverview(m, info), generatedAt: 0 },
    page: cellPage(m, info, { offset: 0, limit: 100 }),
    pageOdd: cellPage(m, info, { group: 'odd', site: 'b', offset: 0, limit: 1 }),
    search: searchTargets(m, info, 't', 10),
    worstLoss: worstPairs(m, 'loss', 7, slaRtt),
    worstSla: worstPairs(m, 'sla', 7, slaRtt),
  });
}

/** The same store without the per-pair fold: the recent rows as rows, folded in JS. */
function rowsOnly(store: Store): Store {
  const d = Object.create(store) as Record<string, unknown>;
  d.overviewPairs = undefined;
  return d as unknown as Store;
}

test('PostgreSQL: the per-site parts give exactly the views of the whole matrix', async () => {
  const admin = new PgDriver(pg.url, { max: 1 });
  await admin.all('CREATE DATABASE parts_exact');
  await admin.close();
  const store = new SqlStore(new PgDriver(pg.url.replace(/\/hostops$/, '/parts_exact')));
  try {
    await store.migrate();
    await store.registerSlas([SLA, SLA2]);
    const end = T0 + 10 * H;
    for (const s of ['a', 'b', 'c']) {
      await store.writePings(rounds(s, end));
      await store.rollup(s);
    }
    const lookup = (site: string, target: string) => (target === 't1' && site === 'c' ? SLA2 : SLA);
    const slaRtt = (c: OverviewCellOut) => lookup(c.site, c.target).rtt?.value ?? null;
    for (const now of [end, end + 77, end - 1234]) {
      const parts = new OverviewParts(store, (f) => f(), { staleMs: 0, waitMs: 0, lanes: 2 });
      const r: PartsRequest = {
        now,
        window: 3600,
        slaWindow: 2 * H + 600,
        lookup,
        targets: [],
        info,
        slaRtt,
        context: 'x',
      };
      assert.ok(await store.windowCounts(now - r.slaWindow, 'b'), "b's kept counts are read");
      const a = await parts.get(r);
      assert.ok(a, 'PostgreSQL has per-site watermarks');
      assert.deepEqual(a.stale, []);
      const whole = await buildOverview(rowsOnly(store), [], now, 3600, 2 * H + 600, lookup);
      assert.equal(whole.cells.length, 15);
      assert.ok(
        whole.cells.some((c) => c.median === null && c.sent > 0),
        'a pair without medians is in the matrix',
      );
      assert.equal(views(a.matrix, slaRtt), views(whole, slaRtt), `now ${now}`);
    }
  } finally {
    await store.close();
  }
});

/** An in-memory store of 5-minute rows: counts every read per site. */
function fakeStore() {
  const rows: {
    site: string;
    target: string;
    ts: number;
    sent: number;
    received: number;
    median: number | null;
  }[] = [];
  const marks = new Map<string, string>();
  const reads = new Map<string, number>();
  const count = (site: string | undefined) =>
    reads.set(site ?? '*', (reads.get(site ?? '*') ?? 0) + 1);
  const store = {
    kind: 'postgres',
    rollupMarks: async () => new Map(marks),
    windowCounts: async () => null,
    overviewRows: async (since: number, site?: string) => {
      count(site);
      return rows.filter((r) => r.ts >= since && (site === undefined || r.site === site));
    },
    slaCounts: async (
      since: number,
      targets: string[] | null,
      _rtt?: unknown,
      _loss?: unknown,
      site?: string,
    ) => {
      const out = new Map<
        string,
        { site: string; target: string; buckets: number; good: number; lastTs: number }
      >();
      for (const r of rows) {
        if (r.ts < since || !r.sent || (site !== undefined && r.site !== site)) continue;
        if (targets && !targets.includes(r.target)) continue;
        const k = `${r.site}/${r.target}`;
        const x = out.get(k) ?? { site: r.site, target: r.target, buckets: 0, good: 0, lastTs: 0 };
        x.buckets++;
        if (r.median != null && r.median < 0.03) x.good++;
        x.lastTs = Math.max(x.lastTs, r.ts);
        out.set(k, x);
      }
      return [...out.values()];
    },
  };
  /** a rollup of `site` landing: a bucket at ts, the watermark moved */
  const land = (site: string, ts: number, median: number) => {
    for (const target of ['t0', 't1', 't2'])
      rows.push({
        site,
        target,
        ts,
        sent: 20,
        received: 19,
        median: median + target.length / 1000,
      });
    marks.set(site, String(Number(marks.get(site) ?? 0) + 1));
  };
  return { store: store as unknown as Store, land, reads };
}

test('a part is re-read when its watermark moves, a 5-minute step passes or the SLAs change', async () => {
  const { store, land, reads } = fakeStore();
  const now0 = T0 + 10 * H + 10; // 10 s into a 5-minute step
  for (const s of ['a', 'b', 'c']) land(s, T0 + 10 * H - 300, 0.01);
  let clock = 1_000_000;
  const parts = new OverviewParts(
    store,
    (f) => f(),
    { staleMs: 0, waitMs: 0, lanes: 2 },
    () => clock,
  );
  const lookup = () => SLA;
  const req = (now: number, l: PartsRequest['lookup'] = lookup, context = 'x'): PartsRequest => ({
    now,
    window: 3600,
    slaWindow: 86400,
    lookup: l,
    targets: [],
    info,
    slaRtt: () => 0.03,
    context,
  });
  const snapshot = () => Object.fromEntries(reads);
  const whole = async (now: number) => buildOverview(store, [], now, 3600, 86400, lookup);
  const first = await parts.get(req(now0));
  assert.deepEqual(snapshot(), { a: 1, b: 1, c: 1 }, 'the first request reads every site once');
  assert.equal(
    views(first!.matrix, () => 0.03),
    views(await whole(now0), () => 0.03),
  );
  reads.clear();

  clock += 1000;
  await parts.get(req(now0 + 60));
  assert.deepEqual(snapshot(), {}, 'nothing moved within the step: no read');

  land('b', T0 + 10 * H, 0.02);
  clock += 1000;
  const second = await parts.get(req(now0 + 60));
  assert.deepEqual(snapshot(), { b: 1 }, "only b's watermark moved: only b is re-read");
  assert.equal(
    views(second!.matrix, () => 0.03),
    views(await whole(now0 + 60), () => 0.03),
  );
  reads.clear();

  clock += 1000;
  await parts.get(req(now0 + 290)); // now0 + 290 is still in the step of now0 (cuts unchanged)
  assert.deepEqual(snapshot(), {}, 'same 5-minute step of both cuts');
  await parts.get(req(now0 + 300));
  assert.deepEqual(snapshot(), { a: 1, b: 1, c: 1 }, 'a 5-minute boundary invalidates every part');
  reads.clear();

  // an inventory SLA change is a new lookup (a new identity, so a new context): every part again
  const lookup2 = () => SLA2;
  const third = await parts.get(req(now0 + 300, lookup2, 'y'));
  assert.deepEqual(snapshot(), { a: 1, b: 1, c: 1 }, 'a changed SLA lookup invalidates every part');
  const whole2 = await buildOverview(store, [], now0 + 300, 3600, 86400, lookup2);
  assert.equal(
    views(third!.matrix, () => 0.02),
    views(whole2, () => 0.02),
  );
});

test('a long rebuild is not waited for: the previous parts are served, within staleMs, with their age', async () => {
  const { store, land, reads } = fakeStore();
  const now = T0 + 10 * H + 10;
  for (const s of ['a', 'b']) land(s, T0 + 10 * H - 300, 0.01);
  let clock = 1_000_000;
  let release: () => void = () => {};
  let hold = false;
  // the gate: while `hold`, each build waits for release() (a slow database)
  const run = async <T>(f: () => Promise<T>) => {
    if (hold) await new Promise<void>((r) => (release = r));
    return f();
  };
  const parts = new OverviewParts(store, run, { staleMs: 5000, waitMs: 0, lanes: 1 }, () => clock);
  const req: PartsRequest = {
    now,
    window: 3600,
    slaWindow: 86400,
    lookup: () => SLA,
    targets: [],
    info,
    slaRtt: () => 0.03,
    context: 'x',
  };
  await parts.get(req);
  reads.clear();
  // the refreshes take 0 ms of this clock: make the next look long, as a big fleet's would
  const slow = () => {
    (parts as unknown as { states: Map<string, { partMs: number }> }).states.get(
      '3600:86400:x',
    )!.partMs = 1e9;
  };
  slow();
  land('a', T0 + 10 * H, 0.05);
  hold = true;
  clock += 2000;
  const stale = await parts.get(req);
  assert.deepEqual(stale!.stale, ['a'], 'a is answered from its previous part');
  assert.equal(stale!.asOf.get('a'), 1_000_000 / 1000, "a's data as of when it was last current");
  assert.equal(stale!.asOf.get('b'), 1_002_000 / 1000);
  hold = false;
  release();
  await parts.settled();
  assert.deepEqual(Object.fromEntries(reads), { a: 1 }, 'one background refresh read a');
  const fresh = await parts.get(req);
  assert.deepEqual(fresh!.stale, []);

  // past staleMs a request waits instead
  slow();
  land('b', T0 + 10 * H, 0.05);
  clock += 6000;
  const waited = await parts.get(req);
  assert.deepEqual(waited!.stale, [], 'b was last current 6 s ago > staleMs: the request waited');
});

test('a background refresh that fails leaves the previous parts and the next request retries it', async () => {
  const { store, land, reads } = fakeStore();
  const now = T0 + 10 * H + 10;
  for (const s of ['a', 'b']) land(s, T0 + 10 * H - 300, 0.01);
  let clock = 1_000_000;
  let fail = false;
  const failing = Object.create(store) as Store;
  failing.overviewRows = async (since: number, site?: string) => {
    if (fail) throw new Error('database went away');
    return store.overviewRows(since, site);
  };
  const parts = new OverviewParts(
    failing,
    (f) => f(),
    { staleMs: 5000, waitMs: 0, lanes: 1 },
    () => clock,
  );
  const req: PartsRequest = {
    now,
    window: 3600,
    slaWindow: 86400,
    lookup: () => SLA,
    targets: [],
    info,
    slaRtt: () => 0.03,
    context: 'x',
  };
  await parts.get(req);
  (parts as unknown as { states: Map<string, { partMs: number }> }).states.get(
    '3600:86400:x',
  )!.partMs = 1e9;
  land('a', T0 + 10 * H, 0.05);
  fail = true;
  clock += 1000;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  const stale = await parts.get(req);
  assert.deepEqual(stale!.stale, ['a']);
  // nobody waits for the background refresh: its failure must not be an unhandled rejection
  await new Promise((r) => setTimeout(r, 50));
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, []);
  fail = false;
  reads.clear();
  clock += 1000;
  const again = await parts.get(req);
  assert.deepEqual(again!.stale, ['a'], 'still the previous part, its refresh started again');
  await parts.settled();
  assert.deepEqual(Object.fromEntries(reads), { a: 1 });
  assert.deepEqual((await parts.get(req))!.stale, []);
});

test('parts that move while a refresh runs are rebuilt by the next one, without another request', async () => {
  const { store, land, reads } = fakeStore();
  const now = T0 + 10 * H + 10;
  for (const s of ['a', 'b']) land(s, T0 + 10 * H - 300, 0.01);
  let clock = 1_000_000;
  const held: (() => void)[] = [];
  let hold = false;
  const run = async <T>(f: () => Promise<T>) => {
    if (hold) await new Promise<void>((r) => held.push(r));
    return f();
  };
  const parts = new OverviewParts(store, run, { staleMs: 5000, waitMs: 0, lanes: 1 }, () => clock);
  const req: PartsRequest = {
    now,
    window: 3600,
    slaWindow: 86400,
    lookup: () => SLA,
    targets: [],
    info,
    slaRtt: () => 0.03,
    context: 'x',
  };
  await parts.get(req);
  const slow = () => {
    (parts as unknown as { states: Map<string, { partMs: number }> }).states.get(
      '3600:86400:x',
    )!.partMs = 1e9;
  };
  slow();
  reads.clear();
  hold = true;
  land('a', T0 + 10 * H, 0.05);
  clock += 1000;
  assert.deepEqual((await parts.get(req))!.stale, ['a'], 'a refresh of a starts');
  land('b', T0 + 10 * H, 0.05);
  clock += 1000;
  assert.deepEqual((await parts.get(req))!.stale, ['a', 'b'], 'b waits for the next refresh');
  hold = false;
  for (const r of held) r();
  await parts.settled();
  assert.deepEqual(Object.fromEntries(reads), { a: 2, b: 1 }, 'the second refresh read a and b');
  slow();
  assert.deepEqual((await parts.get(req))!.stale, []);
});
