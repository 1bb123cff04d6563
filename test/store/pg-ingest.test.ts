import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MIGRATIONS,
  PgDriver,
  SqlStore,
  quantiles,
  type PingRound,
} from '../../src/store/index.js';
import { renderSql } from '../../src/store/migrations.js';
import { CHUNK, tenthMicros } from '../../src/store/pg-ingest.js';
import { ensureFleetSchema } from '../../src/fleet/schema.js';
import { addSite } from '../../src/fleet/inventory.js';
import { pgForFile } from './pg-cluster.js';
import { rounds } from './helpers.js';

const D0 = 19675 * 86400; // 2023-11-14 00:00 UTC
const { newDb } = pgForFile();

test('RTTs in 100 ns units print as the same number JSON.stringify(k / 1e7) gives', () => {
  for (const k of [0, 1, 5, 10, 99, 1234567, 10_000_000, 10_000_001, 123_456_789, 2 ** 40 + 3])
    assert.equal(Number(tenthMicros(k)), k / 1e7, String(k));
  assert.equal(tenthMicros(123_400), '0.01234');
  assert.equal(tenthMicros(20_000_000), '2');
  assert.equal(tenthMicros(1e300), JSON.stringify(1e300 / 1e7));
});

test('the batched INSERT stores names that need quoting, lost and odd RTTs, and quantiles exactly', async () => {
  const store = new SqlStore(new PgDriver(await newDb('odd')));
  try {
    await store.migrate();
    const odd: PingRound[] = [
      {
        site: 'a"b\\c',
        target: 'x,{y} NULL',
        ts: D0 + 0.25,
        sent: 5,
        received: 4,
        rtts: [0.0123456789, 5e-7, 0, 12.3456789],
        feed: 'f "1"',
      },
      { site: 'NULL', target: ' ', ts: D0 + 1, sent: 3, received: 0, rtts: [] },
      {
        site: 's',
        target: 't',
        ts: D0 + 2,
        sent: 4,
        received: 2,
        rtts: [Number.NaN, -1, Infinity, 0.002],
      },
    ];
    await store.writePings(odd);
    const rows = await (store.driver as PgDriver).all<Record<string, unknown>>(
      'SELECT site, target, ts, sent, received, rtt_min, rtt_p10, rtt_p25, rtt_median, rtt_p75, rtt_p90, rtt_max, rtts, feed FROM ping ORDER BY ts',
    );
    assert.equal(rows.length, odd.length);
    odd.forEach((r, i) => {
      const ok = r.rtts.filter((x) => Number.isFinite(x) && x >= 0);
      const q = quantiles(ok);
      const got = rows[i];
      assert.deepEqual(
        [got.site, got.target, got.ts, got.sent, got.received, got.feed],
        [r.site, r.target, r.ts, r.sent, r.received, r.feed ?? ''],
      );
      assert.deepEqual(
        [
          got.rtt_min,
          got.rtt_p10,
          got.rtt_p25,
          got.rtt_median,
          got.rtt_p75,
          got.rtt_p90,
          got.rtt_max,
        ],
        [q.min, q.p10, q.p25, q.median, q.p75, q.p90, q.max],
      );
      assert.deepEqual(
        JSON.parse(got.rtts as string),
        ok.map((x) => Math.round(x * 1e7) / 1e7),
      );
    });
  } finally {
    await store.close();
  }
});

test('a batch larger than one statement goes in whole, or not at all when a chunk fails', async () => {
  const store = new SqlStore(new PgDriver(await newDb('big')));
  try {
    await store.migrate();
    const n = 2 * CHUNK + 7;
    await store.writePings(rounds('ldn', 'fra', D0, n, 1));
    assert.equal(await store.pingCount('ldn'), n);
    // the last chunk carries a round the int[] column refuses: the chunks before it roll back too
    const bad = rounds('nyc', 'fra', D0, n, 1);
    bad[n - 1] = { ...bad[n - 1], sent: 1.5 };
    await assert.rejects(store.writePings(bad), /integer/);
    assert.equal(await store.pingCount('nyc'), 0);
    // and the connection is usable afterwards
    await store.writePings(rounds('nyc', 'fra', D0, 3, 1));
    assert.equal(await store.pingCount('nyc'), 3);
  } finally {
    await store.close();
  }
});

test("a site role's batch looks its own site up once per statement, not once per row", async () => {
  const url = await newDb('rlscost');
  const owner = new SqlStore(new PgDriver(url));
  try {
    await owner.migrate();
    const od = owner.driver as PgDriver;
    await ensureFleetSchema(od.sql);
    const ldn = await addSite(od.sql, 'ldn', url);
    await od.all(`ALTER DATABASE rlscost SET track_functions = 'all'`);
    const agent = new SqlStore(new PgDriver(ldn.url, { max: 1 }));
    try {
      await agent.writePings(rounds('ldn', 'fra', D0, 500, 1));
      await assert.rejects(agent.writePings(rounds('nyc', 'fra', D0, 1)), /row-level security/);
    } finally {
      await agent.close(); // a backend flushes its function statistics as it exits
    }
    assert.equal(await owner.pingCount('ldn'), 500);
    let calls = 0;
    for (let i = 0; i < 50 && !calls; i++) {
      await new Promise((r) => setTimeout(r, 100));
      calls = Number(
        (
          await od.all<{ n: number }>(
            `SELECT coalesce(sum(calls), 0) AS n FROM pg_stat_user_functions WHERE funcname = 'hostops_site'`,
          )
        )[0].n,
      );
    }
    assert.ok(calls > 0, 'the policy did call hostops_site()');
    assert.ok(calls < 50, `hostops_site() ran ${calls} times for 500 rows in a few statements`);
  } finally {
    await owner.close();
  }
});

test('migration 7 keys ping by (site, id, ts): rows, grants, policies and the rollup watermark carry on', async () => {
  const url = await newDb('pk7');
  const d = new PgDriver(url);
  try {
    // the schema as version 6 left it, a fleet on it, a site's rows written and rolled up
    await d.all(
      renderSql(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {real} NOT NULL)',
        'postgres',
      ),
    );
    for (const m of MIGRATIONS.filter((x) => x.version <= 6)) {
      for (const q of [...m.sql, ...(m.pg ?? [])]) await d.all(renderSql(q, 'postgres'));
      await d.all('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [m.version, m.name]);
    }
    await ensureFleetSchema(d.sql);
    const ldn = await addSite(d.sql, 'ldn', url);
    await addSite(d.sql, 'nyc', url);
    const agent = new SqlStore(new PgDriver(ldn.url, { max: 1 }));
    const owner = new SqlStore(d);
    try {
      await agent.writePings(rounds('ldn', 'fra', D0, 30, 20));
      await owner.writePings(rounds('nyc', 'fra', D0, 30, 20));
      await agent.rollup('ldn');
      const before = await d.all('SELECT id, site, target, ts, rtts FROM ping ORDER BY id');
      const grants = () =>
        d.all(`SELECT grantee || ':' || privilege_type AS g FROM information_schema.role_table_grants
          WHERE table_name = 'ping' AND grantee LIKE 'hostops_%' ORDER BY 1`);
      const policies = () =>
        d.all(
          `SELECT policyname, cmd, qual, with_check FROM pg_policies WHERE tablename = 'ping' ORDER BY 1`,
        );
      const [g0, p0] = [await grants(), await policies()];
      await owner.migrate();
      assert.deepEqual(
        await d.all('SELECT id, site, target, ts, rtts FROM ping ORDER BY id'),
        before,
      );
      assert.deepEqual(await grants(), g0);
      assert.deepEqual(await policies(), p0);
      const idx = await d.all<{ name: string; def: string }>(
        `SELECT indexname AS name, regexp_replace(indexdef, '^.* USING ', '') AS def FROM pg_indexes WHERE tablename = 'ping' ORDER BY 1`,
      );
      assert.deepEqual(
        [...idx],
        [
          { name: 'ping_pair_ts', def: 'btree (site, target, ts)' },
          { name: 'ping_pkey', def: 'btree (site, id, ts)' },
        ],
      );
      // the site role still writes only its own rows, and its rollup picks up from the watermark
      await agent.writePings(rounds('ldn', 'fra', D0 + 600, 30, 20));
      await assert.rejects(agent.writePings(rounds('nyc', 'fra', D0, 1)), /row-level security/);
      await agent.rollup('ldn');
      const r5 = await d.all<{ n: number }>(
        `SELECT sum(rounds) AS n FROM ping_5m WHERE site = 'ldn'`,
      );
      assert.equal(Number(r5[0].n), 60);
      // the watermark query reads this site's ids in order from the new key
      const plan = await d.sql.begin(async (tx) => {
        await tx.unsafe('SET LOCAL enable_seqscan = off');
        await tx.unsafe('SET LOCAL enable_bitmapscan = off');
        await tx.unsafe('SET LOCAL enable_sort = off');
        const rows = await tx.unsafe(
          `EXPLAIN SELECT id FROM ping WHERE site = 'ldn' AND id > 5 ORDER BY id LIMIT 10`,
        );
        return rows.map((r) => r['QUERY PLAN'] as string).join('\n');
      });
      assert.match(plan, /pkey/, plan);
    } finally {
      await agent.close();
    }
  } finally {
    await d.close();
  }
});
