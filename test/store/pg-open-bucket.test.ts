// The open 5-minute buckets kept between rollup passes (ping_5m_open, migration 11): a database at
// version 10 with a fleet on it converts without losing a row, its site roles then keep their own
// open buckets only, and at the agent's cadence (3 rounds a pass) the rows equal the previous
// algorithm's (bench/ref/pg-rollup-v1.ts), through a bucket too big to keep, late rounds into a
// bucket that is no longer the pair's newest, and two buckets in one pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgDriver, SqlStore, type PingRound } from '../../src/store/index.js';
import { MIGRATIONS, renderSql } from '../../src/store/migrations.js';
import { ensureFleetSchema } from '../../src/fleet/schema.js';
import { addSite } from '../../src/fleet/inventory.js';
import { rollupOncePgV1 } from '../../bench/ref/pg-rollup-v1.js';
import { pgForFile } from './pg-cluster.js';
import { dumpRollups } from './rollup-dump.js';

// ping_pair_site left out, as before the shared dump: its specs follow each database's registered
// SLAs, which differ here (pg-rollup-oracle and pg-hour-delta compare it)
const OPTS = { sumDigits: 12, without: ['ping_pair_site'] };

const D0 = 19675 * 86400; // 2023-11-14 00:00 UTC
const { newDb } = pgForFile();

/** Rounds k0..k0+n-1 of a pair at 20 s, `pings` per round, some lost, RTTs repeating. */
function rounds(site: string, target: string, k0: number, n: number, pings = 20): PingRound[] {
  const out: PingRound[] = [];
  for (let k = k0; k < k0 + n; k++) {
    const rtts: number[] = [];
    for (let p = 0; p < pings; p++)
      if ((k + p) % 9 !== 4) rtts.push(0.003 + ((k * 17 + p * 5) % 23) / 2000);
    out.push({ site, target, ts: D0 + k * 20 + 3, sent: pings, received: rtts.length, rtts });
  }
  return out;
}

test('migration 11 on a fleet at version 10: rows kept, the site role keeps its own open buckets, and rollups at 3 rounds a pass equal v1', async () => {
  const url = await newDb('open11');
  const refUrl = await newDb('open11_ref');
  const d = new PgDriver(url);
  const ref = new SqlStore(new PgDriver(refUrl));
  try {
    await d.all(
      renderSql(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {real} NOT NULL)',
        'postgres',
      ),
    );
    for (const m of MIGRATIONS.filter((x) => x.version <= 10)) {
      for (const q of [...m.sql, ...(m.pg ?? [])]) await d.all(renderSql(q, 'postgres'));
      await d.all('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [m.version, m.name]);
    }
    await ensureFleetSchema(d.sql);
    const ldn = await addSite(d.sql, 'ldn', url);
    const nyc = await addSite(d.sql, 'nyc', url);
    await ref.migrate();
    const agents = {
      ldn: new SqlStore(new PgDriver(ldn.url, { max: 1 })),
      nyc: new SqlStore(new PgDriver(nyc.url, { max: 1 })),
    };
    const owner = new SqlStore(d);
    try {
      const pass = async (rows: PingRound[]) => {
        for (const site of ['ldn', 'nyc'] as const) {
          const mine = rows.filter((r) => r.site === site);
          if (mine.length) await agents[site].writePings(mine);
        }
        await ref.writePings(rows);
        for (const site of ['ldn', 'nyc'] as const) {
          await agents[site].rollup(site);
          for (;;) if (!(await rollupOncePgV1(ref.driver as PgDriver, site)).more) break;
        }
      };
      const cadence = (k0: number, k1: number, extra: (k: number) => PingRound[] = () => []) => {
        const out: PingRound[][] = [];
        for (let k = k0; k < k1; k += 3)
          out.push([
            ...rounds('ldn', 'fra', k, 3),
            ...rounds('nyc', 'fra', k, 3),
            // 150 pings a round: 15 rounds are more RTTs than a kept bucket holds
            ...rounds('ldn', 'big', k, 3, 150),
            ...extra(k),
          ]);
        return out;
      };
      // before the migration: the table is absent and the rollup recomputes from raw rounds
      for (const rows of cadence(0, 12)) await pass(rows);
      const five = () => d.all('SELECT * FROM ping_5m ORDER BY site, target, ts');
      const raw = () => d.all('SELECT id, site, target, ts, rtts FROM ping ORDER BY id');
      const [f0, r0] = [await five(), await raw()];
      await owner.migrate();
      assert.deepEqual(await five(), f0);
      assert.deepEqual(await raw(), r0);
      // room for HOT updates: the pair tables and every hourly partition, old and new
      await d.all('SELECT hostops_rollup_partitions($1, $2)', [D0 + 9 * 86400, D0 + 9 * 86400]);
      const ff = await d.all<{ t: string }>(
        `SELECT c.relname || ' ' || array_to_string(c.reloptions, ',') AS t FROM pg_class c
         WHERE c.relname IN ('ping_pair', 'ping_pair_hour', 'ping_5m_open') OR c.oid IN
           (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'ping_1h'::regclass) ORDER BY 1`,
      );
      assert.ok(ff.length >= 5, JSON.stringify(ff));
      for (const { t } of ff)
        assert.match(t, t.startsWith('ping_1h') ? /fillfactor=80/ : /fillfactor=50/);
      assert.ok(ff.some((r) => r.t.startsWith('ping_1h_p20231123 ')));
      // migrated, but the agents may not use the table yet: they recompute as before
      for (const rows of cadence(12, 15)) await pass(rows);
      // the owner's next fleet command grants the new table to the agents, under the policy
      await ensureFleetSchema(d.sql);
      // on: a bucket's later passes, the next buckets, late rounds into a bucket before the
      // pair's newest (rounds 1-2 again), and a pass whose rounds span two buckets (k 36..41)
      for (const rows of cadence(15, 36, (k) => (k === 24 ? rounds('ldn', 'fra', 1, 2) : [])))
        await pass(rows);
      await pass([
        ...rounds('ldn', 'fra', 36, 6),
        ...rounds('nyc', 'fra', 36, 6),
        ...rounds('ldn', 'big', 36, 6, 150),
      ]);
      // what each pair keeps: its newest bucket, all its RTTs sorted, but none for the big one
      const kept = () =>
        d.all<{ k: string }>(
          `SELECT o.site || ' ' || o.target || ' ' || (o.ts - ${D0}) || ' ' ||
             COALESCE((cardinality(o.vals) = f.rtt_n AND o.vals[1] = f.rtt_min AND o.vals[f.rtt_n] = f.rtt_max
               AND o.rounds = f.rounds AND o.sent = f.sent AND o.received = f.received
               AND o.vals = ARRAY(SELECT v FROM unnest(o.vals) v ORDER BY v))::text, 'none') AS k
           FROM ping_5m_open o JOIN ping_5m f USING (site, target, ts) ORDER BY 1`,
        );
      assert.deepEqual(
        (await kept()).map((r) => r.k),
        ['ldn big 600 none', 'ldn fra 600 true', 'nyc fra 600 true'],
      );
      for (const rows of cadence(42, 48)) await pass(rows);
      assert.deepEqual(await dumpRollups(d, OPTS), await dumpRollups(ref.driver as PgDriver, OPTS));
      assert.deepEqual(
        (await kept()).map((r) => r.k),
        ['ldn big 900 true', 'ldn fra 900 true', 'nyc fra 900 true'],
      );
      // a site's role sees and writes its own open buckets only
      const seen = await agents.ldn.driver.all<{ site: string }>(
        'SELECT DISTINCT site FROM ping_5m_open',
      );
      assert.deepEqual(
        seen.map((r) => r.site),
        ['ldn'],
      );
      await assert.rejects(
        agents.ldn.driver.all(
          `INSERT INTO ping_5m_open (site, target, ts, rounds, sent, received) VALUES ('nyc', 'x', 0, 1, 1, 1)`,
        ),
        /row-level security/,
      );
    } finally {
      for (const a of Object.values(agents)) await a.close();
    }
  } finally {
    await d.close();
    await ref.close();
  }
});
