import { test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { MIGRATIONS, PgDriver, SqlStore } from '../../src/store/index.js';
import { renderSql } from '../../src/store/migrations.js';
import { ensureFleetSchema } from '../../src/fleet/schema.js';
import { addSite, setRetention } from '../../src/fleet/inventory.js';
import { pgForFile } from './pg-cluster.js';
import { rounds } from './helpers.js';

const DAY = 86400;
const D0 = 19675 * DAY; // 2023-11-14 00:00 UTC
const { newDb } = pgForFile();

const count = async (d: PgDriver, table: string, where: string) =>
  Number((await d.all<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0].n);
const partitionsOf = async (d: PgDriver, table: string) =>
  (
    await d.all<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1`,
      [table],
    )
  ).map((r) => r.name);
/** Rows per day d (from D0) of a rollup table for a site, days 0..9. */
const perDay = async (d: PgDriver, table: string, site: string) => {
  const out: number[] = [];
  for (let day = 0; day < 10; day++)
    out.push(
      await count(
        d,
        table,
        `site = '${site}' AND ts >= ${D0 + day * DAY} AND ts < ${D0 + (day + 1) * DAY}`,
      ),
    );
  return out;
};

test("rollup (and raw) retention drops whole days for the fleet: a short local retention cannot take another site's rollups, site roles cannot DELETE them", async () => {
  const url = await newDb('rollret');
  const owner = new SqlStore(new PgDriver(url));
  const od = owner.driver as PgDriver;
  await owner.migrate();
  await ensureFleetSchema(od.sql);
  const sites = { ldn: await addSite(od.sql, 'ldn', url), nyc: await addSite(od.sql, 'nyc', url) };
  const ldn = new SqlStore(new PgDriver(sites.ldn.url));
  const nyc = new SqlStore(new PgDriver(sites.nyc.url));
  const raw = postgres(sites.ldn.url, { max: 1, onnotice: () => {} });
  try {
    // partitions for days 0..7 only: days 8 and 9 are rolled up into the default partition
    await od.all('SELECT hostops_rollup_partitions($1, $2)', [D0, D0 + 7 * DAY]);
    for (const [site, store] of [
      ['ldn', ldn],
      ['nyc', nyc],
    ] as const) {
      // one round an hour for ten days: one 5-minute row and one hourly row per hour
      await store.writePings(rounds(site, 'fra', D0, 240, 3600));
      await store.rollup(site);
    }
    const full = Array(10).fill(24);
    for (const site of ['ldn', 'nyc'])
      for (const t of ['ping_5m', 'ping_1h']) assert.deepEqual(await perDay(od, t, site), full);
    assert.equal(await count(od, 'ping_5m_default', 'true'), 2 * 2 * 24, 'days 8, 9 wait there');

    const at = D0 + 10 * DAY + 3600;
    // ldn, with one hour of local retention, prunes first: nyc has not said what it keeps, so
    // nothing goes; the job makes the partitions from "yesterday" on, moving day 9 out of default
    // (raw rounds too: its one hour of raw retention drops no day while nyc has not declared)
    await ldn.prune(at, { raw: 3600, fiveMinute: 3600, hourly: 3600 }, 'ldn');
    for (const site of ['ldn', 'nyc'])
      for (const t of ['ping', 'ping_5m', 'ping_1h'])
        assert.deepEqual(await perDay(od, t, site), full, `${t} ${site} untouched`);
    assert.ok((await partitionsOf(od, 'ping_5m')).includes('ping_5m_p20231123'), 'day 9 made');
    assert.equal(await count(od, 'ping_5m_default', 'true'), 2 * 24, 'day 9 moved out');

    // nyc keeps 5 days of 5-minute rows and 7 of hourly ones: the longest decides, for both sites
    await nyc.prune(at, { raw: 30 * DAY, fiveMinute: 5 * DAY, hourly: 7 * DAY }, 'nyc');
    // 5-minute cutoff day 5 01:00: days 0..4 dropped, day 5 holds rows inside retention and stays
    const five = [0, 0, 0, 0, 0, 24, 24, 24, 24, 24];
    const hourly = [0, 0, 0, 24, 24, 24, 24, 24, 24, 24];
    for (const site of ['ldn', 'nyc']) {
      assert.deepEqual(await perDay(od, 'ping_5m', site), five, `ping_5m ${site}`);
      assert.deepEqual(await perDay(od, 'ping_1h', site), hourly, `ping_1h ${site}`);
    }
    assert.ok(!(await partitionsOf(od, 'ping_5m')).includes('ping_5m_p20231118'), 'dropped');
    assert.ok((await partitionsOf(od, 'ping_5m')).includes('ping_5m_p20231119'), 'kept');

    // the inventory's retention takes it out of the agents' hands: 2 days of 5-minute rows,
    // whatever nyc declared; day 8, still in the default partition, is inside it and stays
    await setRetention(od.sql, { fiveMinute: '2d' });
    await ldn.prune(at, { raw: 30 * DAY, fiveMinute: 3600, hourly: 3600 }, 'ldn');
    for (const site of ['ldn', 'nyc']) {
      assert.deepEqual(await perDay(od, 'ping_5m', site), [0, 0, 0, 0, 0, 0, 0, 0, 24, 24]);
      assert.deepEqual(await perDay(od, 'ping_1h', site), hourly, 'hourly: still 7 days');
    }
    await setRetention(od.sql, { fiveMinute: '1d' });
    await nyc.prune(at, { raw: 30 * DAY, fiveMinute: 5 * DAY, hourly: 7 * DAY }, 'nyc');
    for (const site of ['ldn', 'nyc'])
      assert.deepEqual(
        await perDay(od, 'ping_5m', site),
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 24],
        'day 8 deleted from the default partition as a whole day',
      );
    assert.equal(await count(od, 'ping_5m_default', 'true'), 0);

    // a site role: no DELETE or TRUNCATE on raw rounds or rollups, its own rows or another
    // site's, nor on a partition; its call to the function declares for its own site only
    for (const q of [
      `DELETE FROM ping WHERE site = 'ldn'`,
      `DELETE FROM ping WHERE site = 'nyc'`,
      'TRUNCATE ping',
      `DELETE FROM ping_5m WHERE site = 'nyc'`,
      `DELETE FROM ping_1h WHERE site = 'nyc'`,
      `DELETE FROM ping_1h WHERE site = 'ldn'`,
      'DELETE FROM ping_1h_p20231124',
      'TRUNCATE ping_5m',
    ])
      await assert.rejects(raw.unsafe(q), /permission denied/, q);
    await raw.unsafe('SELECT hostops_rollup_retention($1, $2, $3, $4)', ['nyc', 1, 1, at]);
    assert.deepEqual(
      (
        await od.all<{ site: string; h: number }>(
          'SELECT site, hourly AS h FROM store_retention ORDER BY site',
        )
      ).map((r) => [r.site, Number(r.h)]),
      [
        ['ldn', 1],
        ['nyc', 7 * DAY],
      ],
    );
    for (const site of ['ldn', 'nyc'])
      assert.deepEqual(await perDay(od, 'ping_1h', site), hourly, 'nyc keeps its 7 days');
    // rollups still write through the parent after all this (upsert into a kept day)
    await ldn.writePings(rounds('ldn', 'fra', D0 + 9 * DAY + 1800, 1, 3600));
    await ldn.rollup('ldn');
    assert.equal(await count(od, 'ping_5m', `site = 'ldn' AND ts >= ${D0 + 9 * DAY}`), 25);
  } finally {
    await raw.end();
    await ldn.close();
    await nyc.close();
    await owner.close();
  }
});

test('migration 9 converts existing rollup tables into daily partitions: rows, indexes, policies kept, DELETE not', async () => {
  const url = await newDb('rollconv');
  const d = new PgDriver(url);
  try {
    await d.all(
      renderSql(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {real} NOT NULL)',
        'postgres',
      ),
    );
    // the schema as it was before: every migration but this one, then a fleet and rolled-up rows
    for (const m of MIGRATIONS.filter((x) => x.version < 9)) {
      for (const s of [...m.sql, ...(m.pg ?? [])]) await d.all(renderSql(s, 'postgres'));
      await d.all('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [m.version, m.name]);
    }
    await d.all(`GRANT DELETE ON ping_5m, ping_1h TO PUBLIC`);
    const s = new SqlStore(d);
    await s.writePings(rounds('ldn', 'fra', D0, 72, 3600));
    await s.rollup('ldn');
    const before = await d.all<{ ts: number; rounds: number; median: number }>(
      'SELECT ts, rounds, rtt_median AS median FROM ping_5m ORDER BY ts',
    );
    assert.equal(before.length, 72);
    await d.all('ALTER TABLE ping_1h ENABLE ROW LEVEL SECURITY');
    await d.all(`CREATE POLICY mine ON ping_1h TO PUBLIC USING (site = 'ldn')`);
    await s.migrate();
    assert.deepEqual(
      await d.all('SELECT ts, rounds, rtt_median AS median FROM ping_5m ORDER BY ts'),
      before,
    );
    assert.equal(await count(d, 'ping_1h', 'true'), 72);
    const parts = await partitionsOf(d, 'ping_5m');
    for (const p of ['ping_5m_default', 'ping_5m_p20231114', 'ping_5m_p20231116'])
      assert.ok(parts.includes(p), `${p} in ${parts.join(' ')}`);
    assert.equal(await count(d, 'ping_5m_default', 'true'), 0);
    const idx = (
      await d.all<{ i: string }>(
        `SELECT indexname AS i FROM pg_indexes WHERE tablename IN ('ping_5m', 'ping_1h') ORDER BY 1`,
      )
    ).map((r) => r.i);
    assert.deepEqual(idx, [
      'ping_1h_pkey',
      'ping_1h_ts',
      'ping_5m_overview',
      'ping_5m_pkey',
      'ping_5m_ts',
    ]);
    assert.equal(await count(d, 'pg_policies', `tablename = 'ping_1h' AND policyname = 'mine'`), 1);
    assert.equal(
      await count(
        d,
        'information_schema.role_table_grants',
        `table_name IN ('ping_5m', 'ping_1h') AND privilege_type = 'DELETE' AND grantee = 'PUBLIC'`,
      ),
      0,
    );
    // upserts still land (a rollup of new rounds into a converted day)
    await s.writePings(rounds('ldn', 'fra', D0 + 1800, 1, 3600));
    await s.rollup('ldn');
    assert.equal(await count(d, 'ping_5m', 'true'), 73);
  } finally {
    await d.close();
  }
});
