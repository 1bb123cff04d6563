// The hourly rows and the overview's pair window updated by each pass's 5-minute changes
// (hostops_five_delta) instead of re-merged from every 5-minute row of the hour: at the agent's
// cadence, through two passes into one hour, late rounds into an earlier bucket of the same hour
// and of the previous hour, a bucket that flips from meeting an SLA to missing it (and one that
// starts meeting it), and an hour boundary inside one pass, every row equals the previous
// algorithm's (bench/ref/pg-rollup-v1.ts), which re-merges whole hours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgDriver, SqlStore, type PingRound } from '../../src/store/index.js';
import { rollupOncePgV1 } from '../../bench/ref/pg-rollup-v1.js';
import { pgForFile } from './pg-cluster.js';
import { dumpRollups } from './rollup-dump.js';

const D0 = 19675 * 86400; // 2023-11-14 00:00 UTC
const { newDb } = pgForFile();
const SLAS = [
  { rtt: { op: '<' as const, value: 0.01 }, loss: { op: '<' as const, value: 0.2 } },
  { rtt: { op: '<=' as const, value: 0.005 } },
];

/** Rounds k0..k0+n-1 of a pair at 20 s (RTT `base` on, `lost` of 10 pings lost). */
function rounds(target: string, k0: number, n: number, base = 0.004, lost = 0): PingRound[] {
  const out: PingRound[] = [];
  for (let k = k0; k < k0 + n; k++) {
    const rtts: number[] = [];
    for (let p = 0; p < 10 - lost; p++) rtts.push(base + ((k * 7 + p * 3) % 11) / 4000);
    out.push({ site: 'ldn', target, ts: D0 + k * 20 + 3, sent: 10, received: rtts.length, rtts });
  }
  return out;
}

test('hours and the pair window from each pass changes equal v1: two passes an hour, late rounds into earlier buckets and hours, SLA flips, an hour boundary', async () => {
  const ours = new SqlStore(new PgDriver(await newDb('hd'), { max: 1 }));
  const ref = new SqlStore(new PgDriver(await newDb('hd_ref')));
  try {
    await ours.migrate();
    await ref.migrate();
    await ours.registerSlas(SLAS);
    await ref.registerSlas(SLAS);
    const pass = async (rows: PingRound[]) => {
      await ours.writePings(rows);
      await ref.writePings(rows);
      await ours.rollup('ldn');
      for (;;) if (!(await rollupOncePgV1(ref.driver as PgDriver, 'ldn')).more) break;
      assert.deepEqual(
        await dumpRollups(ours.driver as PgDriver, { sumDigits: 12 }),
        await dumpRollups(ref.driver as PgDriver, { sumDigits: 12 }),
      );
    };
    // hour 0: the agent's cadence, 3 rounds a pass, two pairs (a: fast, b: slow, some loss)
    for (let k = 0; k < 30; k += 3)
      await pass([...rounds('a', k, 3), ...rounds('b', k, 3, 0.02, 3)]);
    // the delta path ran: this pass's connection holds the table of changes
    const [{ t }] = await ours.driver.all<{ t: string | null }>(
      "SELECT to_regclass('pg_temp.hostops_five_delta')::text AS t",
    );
    assert.equal(t, 'hostops_five_delta');
    // late rounds into the first bucket: slow ones flip a's bucket 0 from meeting SLA 2 to missing
    // it (median up, max up), lossless fast ones make b's bucket 0 meet SLA 1
    await pass([...rounds('a', 0, 30, 0.02).slice(30 - 20), ...rounds('a', 30, 3)]);
    await pass([...rounds('b', 2000, 20, 0.001).map((r) => ({ ...r, ts: r.ts - 2000 * 20 }))]);
    // on through the hour boundary (k 180 = 3600 s) in one pass, then late rounds into hour 0
    for (let k = 33; k < 186; k += 9)
      await pass([...rounds('a', k, 9), ...rounds('b', k, 9, 0.02, 3)]);
    await pass([...rounds('a', 100, 2, 0.0001), ...rounds('b', 186, 3)]);
    // a bucket that only gains rounds without replies: min/max kept, counts grow
    await pass([...rounds('a', 186, 3, 0.004, 10), ...rounds('a', 150, 2, 0.004, 10)]);
  } finally {
    await ours.close();
    await ref.close();
  }
});
