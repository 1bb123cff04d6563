import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import postgres from 'postgres';
import {
  MIGRATIONS,
  PgDriver,
  SpooledStore,
  SqlStore,
  type PingRound,
} from '../../src/store/index.js';
import { renderSql } from '../../src/store/migrations.js';
import { ensureFleetSchema } from '../../src/fleet/schema.js';
import { addSite, setRetention } from '../../src/fleet/inventory.js';
import { pgForFile } from './pg-cluster.js';
import { rounds, tempDir } from './helpers.js';

const DAY = 86400;
const D0 = 19675 * DAY; // 2023-11-14 00:00 UTC
const { cluster, newDb } = pgForFile();

const partitions = async (d: PgDriver) =>
  (
    await d.all<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'ping'::regclass ORDER BY 1`,
    )
  ).map((r) => r.name);
const countBy = async (d: PgDriver, where = 'true') =>
  Number((await d.all<{ n: number }>(`SELECT count(*) AS n FROM ping WHERE ${where}`))[0].n);

/** One round an hour for `days` days from D0, for each site. */
function dayRounds(sites: string[], days: number): PingRound[] {
  return sites.flatMap((s) => rounds(s, 'fra', D0, days * 24, 3600));
}

test('migration 4 turns an existing unpartitioned ping table into daily partitions without losing a row, grants and policies kept', async () => {
  const url = await newDb('conv');
  const d = new PgDriver(url);
  try {
    // the schema as version 3 left it, with rows written the old way, and a fleet's policies on it
    await d.all(
      renderSql(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {real} NOT NULL)',
        'postgres',
      ),
    );
    for (const m of MIGRATIONS.filter((x) => x.version <= 3)) {
      for (const s of m.sql) await d.all(renderSql(s, 'postgres'));
      await d.all('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [m.version, m.name]);
    }
    await ensureFleetSchema(d.sql);
    const old = dayRounds(['ldn', 'nyc'], 3);
    for (const r of old) {
      await d.all(
        `INSERT INTO ping (site, target, ts, sent, received, rtts) VALUES ($1, $2, $3, $4, $5, $6)`,
        [r.site, r.target, r.ts, r.sent, r.received, JSON.stringify(r.rtts)],
      );
    }
    const before = await d.all<{ id: number; site: string; ts: number; rtts: string }>(
      'SELECT id, site, ts, rtts FROM ping ORDER BY id',
    );
    assert.equal(before.length, 2 * 72);
    const grantsOnPing = () =>
      d
        .all<{ g: string }>(`SELECT grantee || ':' || privilege_type AS g
          FROM information_schema.role_table_grants
          WHERE table_name = 'ping' AND grantee LIKE 'hostops_%' ORDER BY 1`)
        .then((r) => r.map((g) => g.g));
    const grantsBefore = await grantsOnPing();
    const s = new SqlStore(d);
    await s.migrate();
    assert.equal(
      (
        await d.all<{ k: string }>(`SELECT relkind AS k FROM pg_class WHERE oid = 'ping'::regclass`)
      )[0].k,
      'p',
    );
    assert.deepEqual(await partitions(d), ['ping_p20231114', 'ping_p20231115', 'ping_p20231116']);
    assert.deepEqual(
      await d.all('SELECT id, site, ts, rtts FROM ping ORDER BY id'),
      before,
      'every row, same id and content',
    );
    assert.equal(
      await d
        .all(`SELECT 1 FROM pg_class WHERE relname = 'ping_unpartitioned'`)
        .then((r) => r.length),
      0,
    );
    const pols = await d.all<{ policyname: string }>(
      `SELECT policyname FROM pg_policies WHERE tablename = 'ping' ORDER BY 1`,
    );
    assert.deepEqual(
      pols.map((p) => p.policyname),
      ['own_site', 'read_all'],
    );
    assert.equal(
      (
        await d.all<{ r: boolean }>(
          `SELECT relrowsecurity AS r FROM pg_class WHERE oid = 'ping'::regclass`,
        )
      )[0].r,
      true,
    );
    // the fleet schema's grants carry over (raw rounds are append-only for agents)
    assert.deepEqual(grantsBefore, [
      'hostops_agent:INSERT',
      'hostops_agent:SELECT',
      'hostops_dashboard:SELECT',
    ]);
    assert.deepEqual(await grantsOnPing(), grantsBefore);
    // new rows continue the same id sequence
    await s.writePings(rounds('ldn', 'fra', D0 + 3 * DAY, 1));
    const last = await d.all<{ id: number }>('SELECT max(id) AS id FROM ping');
    assert.equal(Number(last[0].id), Number(before[before.length - 1].id) + 1);
    await s.migrate(); // nothing left to apply
  } finally {
    await d.close();
  }
});

test('partitions are created ahead; retention drops whole old days for every site and nothing newer', async () => {
  const url = await newDb('ret');
  const a = new SqlStore(new PgDriver(url));
  const b = new SqlStore(new PgDriver(url));
  try {
    await a.migrate();
    const now = Math.floor(Date.now() / 1000);
    await a.prune(now, { raw: 30 * DAY, fiveMinute: 30 * DAY, hourly: 400 * DAY }, 'ldn');
    const today = Math.floor(now / DAY);
    const name = (day: number) =>
      `ping_p${new Date(day * DAY * 1000).toISOString().slice(0, 10).replaceAll('-', '')}`;
    const ahead = await partitions(a.driver as PgDriver);
    for (let day = today - 1; day <= today + 3; day++)
      assert.ok(ahead.includes(name(day)), `${name(day)} exists ahead of time: ${ahead.join(' ')}`);

    // ten days of history for two sites, then "now" on day 10
    await a.writePings(dayRounds(['ldn', 'nyc'], 10));
    const drv = a.driver as PgDriver;
    const dayCount = async (day: number) =>
      countBy(drv, `ts >= ${D0 + day * DAY} AND ts < ${D0 + (day + 1) * DAY}`);
    assert.equal(await countBy(drv), 2 * 240);
    const at = D0 + 10 * DAY + 3600;
    // ldn keeps 2 days, nyc 5: nyc's longer retention decides, whoever runs the job
    await b.prune(at, { raw: 5 * DAY, fiveMinute: DAY, hourly: DAY }, 'nyc');
    await a.prune(at, { raw: 2 * DAY, fiveMinute: DAY, hourly: DAY }, 'ldn');
    // cutoff day 5 01:00: days 0..4 end before it and go; day 5 holds rows inside retention and stays
    for (let day = 0; day < 5; day++) assert.equal(await dayCount(day), 0, `day ${day} dropped`);
    for (let day = 5; day < 10; day++)
      assert.equal(await dayCount(day), 2 * 24, `day ${day} kept for both sites`);
    assert.equal(await countBy(drv, `site = 'ldn'`), 5 * 24);
    assert.equal(await countBy(drv, `site = 'nyc'`), 5 * 24);
    assert.ok(!(await partitions(drv)).includes('ping_p20231114'));

    // a fleet retention takes it out of the agents' hands: 3 days, whatever they declare
    await ensureFleetSchema(drv.sql);
    await setRetention(drv.sql, { raw: '3d' });
    await a.prune(at, { raw: 9 * DAY, fiveMinute: DAY, hourly: DAY }, 'ldn');
    assert.equal(await dayCount(6), 0);
    assert.equal(await dayCount(7), 2 * 24);
    assert.equal(await countBy(drv), 2 * 3 * 24);

    // a later "now" than the database's clock cannot drop today
    const n0 = await countBy(drv);
    await a.writePings(rounds('ldn', 'fra', now - 60, 1));
    await a.prune(now + 100 * DAY, { raw: DAY, fiveMinute: DAY, hourly: DAY }, 'ldn');
    assert.equal(await countBy(drv, `ts >= ${now - 120}`), 1, "today's row survives");
    assert.ok(n0 >= 0);
  } finally {
    await a.close();
    await b.close();
  }
});

test("a site role cannot read or delete another site's rows through the partitions, nor drop days early", async () => {
  const url = await newDb('rls');
  const owner = new SqlStore(new PgDriver(url));
  try {
    await owner.migrate();
    const od = owner.driver as PgDriver;
    await ensureFleetSchema(od.sql);
    const ldn = await addSite(od.sql, 'ldn', url);
    await addSite(od.sql, 'nyc', url);
    await owner.writePings(dayRounds(['nyc'], 3));
    const agent = new SqlStore(new PgDriver(ldn.url));
    const raw = postgres(ldn.url, { max: 1, onnotice: () => {} });
    try {
      await agent.writePings(dayRounds(['ldn'], 3));
      assert.equal(await agent.pingCount('nyc'), 0, 'nyc invisible through the parent');
      assert.equal(await agent.pingCount('ldn'), 72);
      // a partition is a table of its own: a site role has no grant on it at all
      await assert.rejects(raw.unsafe('SELECT count(*) FROM ping_p20231114'), /permission denied/);
      await assert.rejects(
        raw.unsafe(`DELETE FROM ping_p20231114 WHERE site = 'nyc'`),
        /permission denied/,
      );
      await assert.rejects(raw.unsafe('DROP TABLE ping_p20231114'), /must be owner/);
      // nor may it delete through the parent (raw rounds are append-only for site roles)
      await assert.rejects(raw.unsafe(`DELETE FROM ping WHERE site = 'nyc'`), /permission denied/);
      await assert.rejects(agent.writePings(rounds('nyc', 'fra', D0, 1)), /row-level security/);
      // nyc declared 30 days; ldn asking for one hour, "now" far on, and in nyc's name, drops nothing
      await owner.prune(D0 + 4 * DAY, { raw: 30 * DAY, fiveMinute: DAY, hourly: DAY }, 'nyc');
      await raw.unsafe('SELECT hostops_ping_retention($1, $2, $3)', ['nyc', 3600, D0 + 10 * DAY]);
      assert.equal(await countBy(od), 144, 'no day dropped');
      const declared = await od.all<{ site: string; raw: number }>(
        'SELECT site, raw FROM store_retention ORDER BY site',
      );
      assert.deepEqual(
        declared.map((r) => [r.site, Number(r.raw)]),
        [
          ['ldn', 3600],
          ['nyc', 30 * DAY],
        ],
        'the role declared for its own site, not nyc',
      );
    } finally {
      await raw.end();
      await agent.close();
    }
  } finally {
    await owner.close();
  }
});

test('rollups computed in the database equal a direct query on the raw rounds', async () => {
  const url = await newDb('roll');
  const s = new SqlStore(new PgDriver(url));
  try {
    await s.migrate();
    const d = s.driver as PgDriver;
    // uneven RTTs and losses over 3 hours, in two writes so the second pass merges into touched buckets
    const gen = (from: number, n: number): PingRound[] =>
      Array.from({ length: n }, (_, i) => {
        const rtts = Array.from(
          { length: 20 - ((i * 7) % 5) },
          (_, k) => 0.01 + ((i * 13 + k * 29) % 97) / 10000,
        );
        return {
          site: 'ams',
          target: 'x',
          ts: from + i * 20,
          sent: 20,
          received: rtts.length,
          rtts,
        };
      });
    await s.writePings(gen(D0, 300));
    await s.rollup('ams');
    await s.writePings(gen(D0 + 6000, 240));
    await s.rollup('ams');
    for (const [from, to] of [
      [D0, D0 + 300],
      [D0 + 5700, D0 + 6300],
      [D0 + 3600, D0 + 7200],
      [D0, D0 + 3 * 3600],
    ]) {
      const direct = (
        await d.all<{ rounds: number; sent: number; received: number; mn: number; mx: number }>(
          'SELECT count(*) AS rounds, sum(sent) AS sent, sum(received) AS received, min(rtt_min) AS mn, max(rtt_max) AS mx FROM ping WHERE site = $1 AND ts >= $2 AND ts < $3',
          ['ams', from, to],
        )
      )[0];
      for (const t of ['ping_5m', 'ping_1h']) {
        if (t === 'ping_1h' && (from % 3600 || to % 3600)) continue;
        const r = (
          await d.all<typeof direct>(
            `SELECT sum(rounds) AS rounds, sum(sent) AS sent, sum(received) AS received, min(rtt_min) AS mn, max(rtt_max) AS mx
          FROM ${t} WHERE site = $1 AND ts >= $2 AND ts < $3`,
            ['ams', from, to],
          )
        )[0];
        assert.deepEqual(r, direct, `${t} over [${from - D0}, ${to - D0})`);
      }
    }
    // a 5-minute bucket's median is exact; an hour's comes off the merged histogram (5% buckets)
    const exact = async (from: number, to: number) =>
      Number(
        (
          await d.all<{ m: number }>(
            `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY e::float8) AS m FROM ping, jsonb_array_elements_text(rtts::jsonb) AS e
       WHERE site = 'ams' AND ts >= $1 AND ts < $2`,
            [from, to],
          )
        )[0].m,
      );
    const five = await s.pingHistory('ams', 'x', D0 + 6000, D0 + 6300, '5m');
    assert.equal(five.median[0], await exact(D0 + 6000, D0 + 6300));
    const hour = await s.pingHistory('ams', 'x', D0 + 3600, D0 + 3600, '1h');
    const m = await exact(D0 + 3600, D0 + 7200);
    assert.ok(
      Math.abs(hour.median[0]! / m - 1) < 0.05,
      `hourly median ${hour.median[0]} within 5% of ${m}`,
    );
  } finally {
    await s.close();
  }
});

test('a spooled backlog is written back through the batched path, into partitions made for its days', async () => {
  const url = await newDb('spool');
  const t = tempDir();
  const s = new SpooledStore(
    new SqlStore(new PgDriver(url, { connectTimeout: 2 })),
    path.join(t.dir, 's.spool'),
    100_000,
  );
  try {
    await s.migrate();
    cluster().pause();
    // an agent cut off for a day: 48 batches of 500 rounds each
    for (let i = 0; i < 48; i++) {
      await s.writePings(
        Array.from(
          { length: 500 },
          (_, k) => rounds('par', `t${k}`, D0 + 20 * DAY + i * 1800, 1)[0],
        ),
      );
    }
    assert.equal(s.stats().rows, 48);
    cluster().resume();
    await s.flush();
    assert.equal(s.stats().rows, 0);
    const d = (s.inner as SqlStore).driver as PgDriver;
    assert.equal(await countBy(d, `site = 'par'`), 48 * 500);
    assert.deepEqual(await partitions(d), ['ping_p20231204']);
    // the inner store's rollup: the spooled store bounds a rollup's wait at 10 s (a hung database
    // path), and rolling up a day's backlog can take longer than that on a loaded 2-core machine
    await (s.inner as SqlStore).rollup('par');
    assert.equal(
      Number(
        (await d.all<{ n: number }>(`SELECT sum(rounds) AS n FROM ping_5m WHERE site = 'par'`))[0]
          .n,
      ),
      48 * 500,
    );
  } finally {
    await s.close();
    t.cleanup();
  }
});
