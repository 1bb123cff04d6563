import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { MIGRATIONS, PgDriver, SpooledStore, SqlStore } from '../../src/store/index.js';
import { startPg, type PgCluster } from './pg-cluster.js';
import { rounds, tempDir } from './helpers.js';

const T0 = 1_700_000_000 - (1_700_000_000 % 3600);
let pg: PgCluster;

before(async () => {
  pg = await startPg();
});
after(() => {
  pg?.stop();
});

test('postgres store: same schema, migrations applied once, rollups and history', async () => {
  const store = new SqlStore(new PgDriver(pg.url));
  try {
    await Promise.all([store.migrate(), store.migrate()]);
    const mig = await store.driver.all<{ version: number }>(
      'SELECT version FROM schema_migrations',
    );
    assert.deepEqual(
      mig.map((m) => Number(m.version)),
      MIGRATIONS.map((m) => m.version),
    );
    await store.writePings(rounds('pgsite', 'nyc', T0, 90, 20, 60));
    await store.rollup('pgsite');
    const five = await store.pingHistory('pgsite', 'nyc', T0, T0 + 1800, '5m');
    assert.equal(five.ts.length, 6);
    assert.equal(five.sent[0], 300);
    assert.ok(Math.abs((five.median[0] ?? 0) - 0.06225) < 1e-6);
    await store.writePings(rounds('pgsite', 'lossy', T0, 90, 20, 10, true));
    await store.rollup('pgsite');
    const sla = await store.slaCounts(
      T0,
      ['nyc', 'lossy'],
      { op: '<', value: 0.07 },
      { op: '<', value: 0.01 },
    );
    assert.deepEqual(sla.map((r) => [r.target, r.buckets, r.good]).sort(), [
      ['lossy', 6, 0],
      ['nyc', 6, 6],
    ]);
    const loose = await store.slaCounts(T0, ['lossy'], undefined, { op: '<=', value: 0.2 });
    assert.equal(loose[0].good, 6, '20% loss meets "<= 20%"');
    const hour = await store.pingHistory('pgsite', 'nyc', T0, T0 + 3600, '1h');
    assert.equal(hour.ts.length, 1);
    assert.equal(typeof hour.sent[0], 'number');
  } finally {
    await store.close();
  }
});

test('two agents (sites) write one PostgreSQL database at the same time', async () => {
  const t = tempDir();
  const a = new SpooledStore(new SqlStore(new PgDriver(pg.url)), path.join(t.dir, 'a.spool'));
  const b = new SpooledStore(new SqlStore(new PgDriver(pg.url)), path.join(t.dir, 'b.spool'));
  try {
    await Promise.all([a.migrate(), b.migrate()]);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      writes.push(a.writePings(rounds('ldn', 'fra', T0 + i * 20, 1)));
      writes.push(b.writePings(rounds('nyc', 'fra', T0 + i * 20, 1, 20, 80)));
      writes.push(
        a.setJobState({
          site: 'ldn',
          job: 'ping',
          lastRun: T0 + i,
          nextRun: T0 + i + 20,
          failures: 0,
          lastError: null,
        }),
      );
      writes.push(
        b.setJobState({
          site: 'nyc',
          job: 'ping',
          lastRun: T0 + i,
          nextRun: T0 + i + 20,
          failures: 0,
          lastError: null,
        }),
      );
    }
    await Promise.all(writes);
    await Promise.all([a.rollup('ldn'), b.rollup('nyc')]);
    assert.equal(await a.pingCount('ldn'), 30);
    assert.equal(await a.pingCount('nyc'), 30);
    assert.deepEqual(
      (await a.sites()).filter((s) => s === 'ldn' || s === 'nyc'),
      ['ldn', 'nyc'],
    );
    const ov = await b.overviewRows(T0);
    const sites = new Set(ov.filter((r) => r.target === 'fra').map((r) => r.site));
    assert.deepEqual([...sites].sort(), ['ldn', 'nyc']);
    assert.equal(a.stats().rows, 0);
  } finally {
    await a.close();
    await b.close();
    t.cleanup();
  }
});

test('a site that loses the database keeps measuring and writes the backlog later', async () => {
  const t = tempDir();
  const s = new SpooledStore(
    new SqlStore(new PgDriver(pg.url, { connectTimeout: 2 })),
    path.join(t.dir, 's.spool'),
    1000,
  );
  try {
    await s.migrate();
    await s.writePings(rounds('par', 'x', T0, 5));
    pg.pause();
    for (let i = 5; i < 25; i++) await s.writePings(rounds('par', 'x', T0 + i * 20, 1));
    await s.writeCheck({
      site: 'par',
      ts: T0,
      kind: 'ntp',
      target: '127.0.0.1',
      ok: true,
      value: 0.001,
      data: {},
    });
    const st = s.stats();
    assert.equal(st.rows, 21, 'every write during the outage is spooled locally');
    assert.ok(st.lastError, 'the outage is reported');
    await assert.rejects(s.flush());
    pg.resume();
    await s.flush();
    assert.equal(s.stats().rows, 0);
    assert.equal(await s.pingCount('par'), 25);
    const ts = (await s.pingHistory('par', 'x', T0, T0 + 1000, 'raw')).ts;
    assert.deepEqual(
      ts,
      Array.from({ length: 25 }, (_, i) => T0 + i * 20),
      'backlog replayed in order, nothing lost or doubled',
    );
    assert.equal((await s.latestChecks('ntp', 'par')).length, 1);
  } finally {
    await s.close();
    t.cleanup();
  }
});

test('the spool is bounded: the oldest spooled writes are dropped and counted', async () => {
  const t = tempDir();
  const s = new SpooledStore(
    new SqlStore(new PgDriver('postgres://postgres@127.0.0.1:1/none', { connectTimeout: 1 })),
    path.join(t.dir, 'b.spool'),
    100,
  );
  try {
    for (let i = 0; i < 130; i++)
      await s.writeCheck({
        site: 'b',
        ts: i,
        kind: 'ntp',
        target: 'x',
        ok: true,
        value: null,
        data: {},
      });
    assert.deepEqual(
      { rows: s.stats().rows, dropped: s.stats().dropped },
      { rows: 100, dropped: 30 },
    );
  } finally {
    await s.close();
    t.cleanup();
  }
});

test('two sites with different retention share one database: each prune deletes only its own rows', async () => {
  const a = new SqlStore(new PgDriver(pg.url));
  const b = new SqlStore(new PgDriver(pg.url));
  const H = 3600;
  try {
    await Promise.all([a.migrate(), b.migrate()]);
    // both sites: a day and a half of rounds, paths, throughput, mail queue samples and checks
    const fill = async (s: SqlStore, site: string) => {
      await s.writePings(rounds(site, 'fra', T0, 36 * 12, 300));
      for (let h = 0; h < 36; h++) {
        const ts = T0 + h * H;
        await s.writePath({ site, target: 'fra', ts, hops: [] });
        await s.writeThroughput([
          {
            site,
            peer: 'fra',
            ts,
            protocol: 'tcp',
            direction: 'send',
            bitsPerSecond: 1e9,
            bytes: 1e9,
          },
        ]);
        await s.writeMailq({
          site,
          ts,
          messages: 1,
          frozen: 0,
          bytes: 100,
          oldestAge: 1,
          summary: {},
        });
        await s.writeCheck({ site, ts, kind: 'ntp', target: 'fra', ok: true, value: 1, data: {} });
      }
      await s.rollup(site);
    };
    await fill(a, 'prune-short');
    await fill(b, 'prune-long');
    const count = async (table: string, site: string) =>
      Number(
        (
          await a.driver.all<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE site = $1`, [
            site,
          ])
        )[0].n,
      );
    // raw ping rounds and their rollups are one fleet history on PostgreSQL, dropped by whole days
    // (pg-partition.test.ts, pg-rollup-retention.test.ts)
    const tables = ['path', 'throughput', 'mailq', 'checks'];
    const before: Record<string, number> = {};
    for (const t of tables) before[t] = await count(t, 'prune-long');
    const now = T0 + 36 * H;
    // the short-retention agent prunes first: one hour raw, two hours 5-minute, three hours hourly
    await a.prune(now, { raw: H, fiveMinute: 2 * H, hourly: 3 * H }, 'prune-short');
    for (const t of tables)
      assert.equal(await count(t, 'prune-long'), before[t], `${t}: the other site's rows survive`);
    assert.equal(await count('throughput', 'prune-short'), 3);
    assert.equal(await count('path', 'prune-short'), 1);
    // the long-retention agent keeps a day of raw rounds and leaves the short site's rows alone
    const shortLeft: Record<string, number> = {};
    for (const t of tables) shortLeft[t] = await count(t, 'prune-short');
    await b.prune(now, { raw: 24 * H, fiveMinute: 30 * H, hourly: 400 * 24 * H }, 'prune-long');
    assert.equal(await count('throughput', 'prune-long'), 36);
    for (const t of tables)
      assert.equal(
        await count(t, 'prune-short'),
        shortLeft[t],
        `${t}: the short site is not pruned by the long one`,
      );
  } finally {
    await a.close();
    await b.close();
  }
});
