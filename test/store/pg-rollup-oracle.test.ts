// The PostgreSQL rollup against its previous algorithm (bench/ref/pg-rollup-v1.ts): the same rounds,
// written and rolled up in the same steps into two databases, must give the same ping_5m, ping_1h,
// ping_pair_hour, ping_pair and ping_pair_site rows and watermarks. rtt_sum is a float sum whose v1
// value depends on the order its plan fed the values: it is compared to 1e-12 relative, every
// other column exactly (percentiles, min/max, counts, histograms).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgDriver, SqlStore, type PingRound } from '../../src/store/index.js';
import { rollupOncePgV1 } from '../../bench/ref/pg-rollup-v1.js';
import { pgForFile } from './pg-cluster.js';
import { dumpRollups } from './rollup-dump.js';

const DAY = 86400;
const D0 = 19675 * DAY; // 2023-11-14 00:00 UTC
const H = D0 + 10 * 3600; // an hour boundary the rounds straddle
const { newDb } = pgForFile();

/** Deterministic rounds of a pair from ts0, one every step s: some lossy, some without replies, repeated RTTs. */
function rounds(
  site: string,
  target: string,
  ts0: number,
  n: number,
  step: number,
  seed: number,
): PingRound[] {
  const out: PingRound[] = [];
  for (let i = 0; i < n; i++) {
    const k = seed * 31 + i;
    const lost = k % 7 === 3 ? 20 : k % 5 === 1 ? 4 : k % 3 === 0 ? 1 : 0;
    const rtts: number[] = [];
    for (let p = 0; p < 20 - lost; p++)
      rtts.push(
        p % 6 === 5 ? rtts[p - 1] : 0.004 + ((k * 13 + p * 7) % 29) / 1000 + (seed % 3) * 0.01,
      );
    out.push({ site, target, ts: ts0 + i * step, sent: 20, received: rtts.length, rtts });
  }
  return out;
}

test('the rollup writes the rows the previous algorithm wrote: several sites, late rounds into rolled-up buckets, an hour boundary, loss and rounds without replies', async () => {
  const [refUrl, newUrl] = [await newDb('oracle_ref'), await newDb('oracle_new')];
  const ref = new SqlStore(new PgDriver(refUrl));
  const ours = new SqlStore(new PgDriver(newUrl));
  try {
    for (const s of [ref, ours]) {
      await s.migrate();
      await s.registerSlas([{ rtt: { op: '<', value: 0.02 }, loss: { op: '<=', value: 0.05 } }]);
    }
    const rollAll = async () => {
      for (const site of ['ams', 'fra', 'sin']) {
        for (;;) if (!(await rollupOncePgV1(ref.driver as PgDriver, site)).more) break;
        await ours.rollup(site);
      }
    };
    const write = async (rows: PingRound[]) => {
      await ref.writePings(rows);
      await ours.writePings(rows);
    };
    const sites = ['ams', 'fra', 'sin'];
    const targets = ['a.example', 'b.example', 'c.example'];
    // step 1: 20 s rounds across the hour boundary H (15 per 5-minute bucket)
    for (const [i, site] of sites.entries())
      for (const [j, target] of targets.entries())
        await write(rounds(site, target, H - 900 + i * 7, 90, 20, i * 3 + j));
    // a pair that never replies: buckets with pings sent and no RTT at all
    await write(
      Array.from({ length: 40 }, (_, i) => ({
        site: 'sin',
        target: 'dead.example',
        ts: H - 600 + i * 20,
        sent: 20,
        received: 0,
        rtts: [],
      })),
    );
    await rollAll();
    // step 2: more rounds into the same (already rolled-up) buckets and beyond, and late rounds
    // into buckets an hour back
    for (const [i, site] of sites.entries())
      for (const [j, target] of targets.entries()) {
        await write(rounds(site, target, H - 890 + i * 7, 60, 20, 40 + i * 3 + j));
        await write(rounds(site, target, H - 3600 + 11, 4, 60, 80 + j));
      }
    await rollAll();
    // step 3: an SLA registered since (the kept window is rebuilt), a day later (it slides)
    for (const s of [ref, ours]) await s.registerSlas([{ rtt: { op: '<=', value: 0.015 } }]);
    for (const site of sites) await write(rounds(site, 'a.example', H + DAY + 5, 30, 20, 99));
    await rollAll();
    await write(rounds('ams', 'b.example', H + DAY + 300, 3, 20, 7));
    await rollAll();

    const [a, b] = [
      await dumpRollups(ref.driver as PgDriver, { watermarks: true }),
      await dumpRollups(ours.driver as PgDriver, { watermarks: true }),
    ];
    assert.ok((a.ping_5m as unknown[]).length > 50, 'the reference rolled up');
    for (const t of ['ping_5m', 'ping_1h']) {
      const [ra, rb] = [a[t] as { rtt_sum: number | null }[], b[t] as { rtt_sum: number | null }[]];
      assert.equal(rb.length, ra.length, t);
      ra.forEach((x, i) => {
        const [sa, sb] = [x.rtt_sum, rb[i].rtt_sum];
        assert.ok(
          sa === sb || (sa !== null && sb !== null && Math.abs(sa - sb) <= 1e-12 * Math.abs(sa)),
          `${t} row ${i}: rtt_sum ${sb}, reference ${sa}`,
        );
      });
      a[t] = ra.map((x) => ({ ...x, rtt_sum: null }));
      b[t] = rb.map((x) => ({ ...x, rtt_sum: null }));
    }
    assert.deepEqual(b, a);
    // the fixture covers what it says: zero-reply buckets, lossy ones, an hour of 12 buckets
    const five = a.ping_5m as { rtt_n: number; sent: number; received: number }[];
    assert.ok(five.some((r) => r.rtt_n === 0 && r.sent > 0));
    assert.ok(five.some((r) => r.received < r.sent && r.rtt_n > 0));
  } finally {
    await ref.close();
    await ours.close();
  }
});
