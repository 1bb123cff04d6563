import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PgDriver, SqlStore, type PingRound, type Store } from '../../src/store/index.js';
import { buildOverview, type PairSla } from '../../src/serve/overview.js';
import { startPg, type PgCluster } from './pg-cluster.js';

// the overview from the SLA window kept at rollup time must equal the one counted from ping_5m,
// whatever `now` (hour-aligned or not), after the window slid past old hours, with late rows, a
// renamed target and an SLA registered after the data was rolled up
const T0 = 1_700_000_000 - (1_700_000_000 % 3600);
const H = 3600;
let pg: PgCluster;

before(async () => {
  pg = await startPg();
});
after(() => {
  pg?.stop();
});

/** Rounds of hour h for a pair: RTT and loss vary by pair and hour so SLAs split the buckets. */
function hourRounds(site: string, target: string, h: number, every = 400): PingRound[] {
  const out: PingRound[] = [];
  for (let t = 0; t < H; t += every) {
    const k = Math.floor(t / every);
    const lost = (h + k + target.length) % 5 === 0 ? 4 : (h * 7 + k) % 11 === 0 ? 20 : 0;
    const base = 0.01 + (((h * 13 + k * 7 + site.length * 3 + target.length) % 10) * 0.01) / 2;
    const rtts = Array.from({ length: 20 - lost }, (_, p) => base + p * 0.0001);
    out.push({
      site,
      target,
      ts: T0 + h * H + t + (site === 'b' ? 17 : 0),
      sent: 20,
      received: rtts.length,
      rtts,
    });
  }
  return out;
}

const SLA_A: PairSla = { rtt: { op: '<', value: 0.03 }, loss: { op: '<', value: 0.1 } };
const SLA_B: PairSla = { rtt: { op: '<=', value: 0.035 } };
const SLA_C: PairSla = { loss: { op: '<=', value: 0.15 } };
/** per pair SLAs; the old name of the renamed target resolves to the new name's SLA */
const lookup = (site: string, target: string): PairSla | null => {
  const name = target === 'old-x' ? 'new-x' : target;
  if (name === 'new-x') return SLA_C;
  if (name === 'free') return null;
  return site === 'a' ? SLA_A : SLA_B;
};

/** The same store without its kept state: what the overview counted before. */
function direct(store: SqlStore): Store {
  const d = Object.create(store) as Record<string, unknown>;
  d.windowCounts = undefined;
  d.registerSlas = undefined;
  return d as unknown as Store;
}

async function same(store: SqlStore, now: number, slaWindow = 86400, window = 3600) {
  const kept = await buildOverview(store, [], now, window, slaWindow, lookup);
  const ref = await buildOverview(direct(store), [], now, window, slaWindow, lookup);
  assert.ok(ref.cells.length > 0);
  assert.deepEqual(kept, ref, `now = T0 + ${(now - T0) / H} h, slaWindow ${slaWindow}`);
  return kept;
}

test('overview from the kept SLA window equals the direct count (slides, late rows, renames, new SLAs)', async () => {
  const store = new SqlStore(new PgDriver(pg.url));
  try {
    await store.migrate();
    const write = async (h: number) => {
      for (const site of ['a', 'b'])
        for (const target of ['t1', 'long-target', 'free', h < 10 ? 'old-x' : 'new-x'])
          await store.writePings(hourRounds(site, target, h));
    };
    for (let h = 0; h < 6; h++) await write(h);
    await store.rollup();
    // the first request registers the SLAs it needs and is answered directly: same cells
    await same(store, T0 + 6 * H);
    assert.equal(await store.windowCounts(T0), null, 'SLAs registered, counts not kept yet');
    await store.rollup();
    const before = await store.windowCounts(T0 - 18 * H);
    assert.ok(before, 'state is current for the SLAs known so far');
    assert.equal(before.specs.size, 3, 'three SLAs registered');
    for (let h = 6; h < 30; h++) {
      await write(h);
      if (h % 4 === 1) {
        await store.rollup();
        // aligned and not, inside the kept window and reaching before it
        await same(store, T0 + (h + 1) * H);
        await same(store, T0 + (h + 1) * H + 1234.5);
        await same(store, T0 + (h + 1) * H - 700, 5 * H);
        await same(store, T0 + (h + 1) * H, 2 * 86400, 7200);
      }
    }
    await store.rollup();
    const lo = await store.driver.all<{ lo: number }>(
      'SELECT lo FROM ping_pair_site WHERE site = $1',
      ['a'],
    );
    assert.equal(Number(lo[0].lo), T0 + 6 * H, 'the window slid to the last 24 hours of data');
    const ov = await same(store, T0 + 30 * H);
    assert.ok(
      ov.cells.some((c) => c.target === 'old-x' && c.compliance != null),
      'old name keeps its history',
    );
    assert.ok(ov.cells.some((c) => c.compliance != null && c.compliance > 0 && c.compliance < 1));
    // late rows (a spool replayed) into an hour the window still holds and one it left
    await store.writePings([...hourRounds('a', 't1', 12, 130), ...hourRounds('b', 'free', 3, 130)]);
    await store.rollup();
    await same(store, T0 + 30 * H);
    await same(store, T0 + 30 * H - (3 * 86400) / 2 + 99, 2 * 86400);
    // a new SLA: answered directly at once, from the kept counts after the next rollup
    const lookup2 = (site: string, target: string) =>
      target === 't1' ? { rtt: { op: '<' as const, value: 0.02 } } : lookup(site, target);
    const a = await buildOverview(store, [], T0 + 30 * H, 3600, 86400, lookup2);
    assert.deepEqual(a, await buildOverview(direct(store), [], T0 + 30 * H, 3600, 86400, lookup2));
    assert.equal(await store.windowCounts(T0), null, 'state waits for the next rollup');
    await store.writePings(hourRounds('a', 't1', 30));
    await store.rollup();
    const w = await store.windowCounts(T0 + 7 * H);
    assert.equal(w?.specs.size, 4);
    const b = await buildOverview(store, [], T0 + 31 * H, 3600, 86400, lookup2);
    assert.deepEqual(b, await buildOverview(direct(store), [], T0 + 31 * H, 3600, 86400, lookup2));
  } finally {
    await store.close();
  }
});
