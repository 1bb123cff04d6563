import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { MIGRATIONS, openStore, SqlStore, SqliteDriver } from '../../src/store/index.js';
import { rounds, tempDir } from './helpers.js';

const T0 = 1_700_000_000 - (1_700_000_000 % 3600);

test('sqlite store keeps rounds, rolls them up to 5-minute and hourly percentiles', async () => {
  const t = tempDir();
  try {
    const file = path.join(t.dir, 'h.db');
    const store = await openStore({
      kind: 'sqlite',
      path: file,
      spool: { path: '', maxRows: 100 },
    });
    await store.writePings(rounds('ldn', 'nyc', T0, 360, 20, 60)); // 2 hours of 20 s rounds
    await store.writePings(rounds('ldn', 'fra', T0, 360, 20, 10, true));
    const n = await store.rollup('ldn');
    assert.ok(n >= 2 * 24 + 2 * 2, `buckets written: ${n}`);
    const raw = await store.pingHistory('ldn', 'nyc', T0, T0 + 3600, 'raw');
    assert.equal(raw.ts.length, 181);
    const five = await store.pingHistory('ldn', 'nyc', T0, T0 + 7200, '5m');
    assert.equal(five.ts.length, 24);
    assert.equal(five.sent[0], 15 * 20);
    assert.ok(Math.abs((five.median[0] ?? 0) - 0.06225) < 1e-6, `median ${five.median[0]}`);
    assert.ok((five.min[0] ?? 0) <= (five.p10[0] ?? 0) && (five.p90[0] ?? 0) <= (five.max[0] ?? 0));
    const hour = await store.pingHistory('ldn', 'fra', T0, T0 + 7200, '1h');
    assert.equal(hour.ts.length, 2);
    assert.equal(hour.received[0] / hour.sent[0], 0.8);
    // a late round (replayed from a spool) lands in an old bucket and is still rolled up
    await store.writePings([
      { site: 'ldn', target: 'nyc', ts: T0 + 1, sent: 20, received: 0, rtts: [] },
    ]);
    await store.rollup('ldn');
    const again = await store.pingHistory('ldn', 'nyc', T0, T0 + 299, '5m');
    assert.equal(again.sent[0], 16 * 20);
    assert.equal(again.received[0], 15 * 20);
    // overview rows come from the 5-minute table
    const sla = await store.slaCounts(
      T0,
      ['nyc', 'fra'],
      { op: '<', value: 0.07 },
      { op: '<', value: 0.01 },
    );
    // nyc's first bucket holds the late all-lost round (6.25% loss): it misses the 1% bound
    assert.deepEqual(sla.map((r) => [r.target, r.buckets, r.good]).sort(), [
      ['fra', 24, 0],
      ['nyc', 24, 23],
    ]);
    assert.equal((await store.slaCounts(T0, null)).length, 2);
    const ov = await store.overviewRows(T0 + 3600);
    assert.equal(ov.length, 24);
    await store.prune(T0 + 7200 + 10, { raw: 3600, fiveMinute: 86400, hourly: 86400 * 30 }, 'ldn');
    assert.equal(await store.pingCount('ldn'), 2 * 179); // rounds at or after T0+3610 stay
    await store.close();
    // reopening applies no migration twice
    const again2 = new SqlStore(new SqliteDriver(file));
    await again2.migrate();
    const mig = await again2.driver.all<{ version: number }>(
      'SELECT version FROM schema_migrations',
    );
    assert.deepEqual(
      mig.map((m) => m.version),
      MIGRATIONS.map((m) => m.version),
    );
    await again2.close();
  } finally {
    t.cleanup();
  }
});

test('sqlite store returns latest paths, checks, mail queue and job state', async () => {
  const t = tempDir();
  try {
    const store = await openStore({
      kind: 'sqlite',
      path: path.join(t.dir, 'h.db'),
      spool: { path: '', maxRows: 100 },
    });
    await store.writePath({ site: 'a', target: 'x', ts: 1, hops: [] });
    await store.writePath({
      site: 'a',
      target: 'x',
      ts: 2,
      hops: [
        { ttl: 1, hosts: ['198.18.0.1'], loss: 0, sent: 5, avg: 0.001, best: 0.001, worst: 0.002 },
      ],
      advice: ['hop 1 is fine'],
    });
    const paths = await store.latestPaths('a');
    assert.equal(paths.length, 1);
    assert.equal(paths[0].hops[0].hosts[0], '198.18.0.1');
    assert.deepEqual(paths[0].advice, ['hop 1 is fine']);
    await store.writeCheck({
      site: 'a',
      ts: 1,
      kind: 'ntp',
      target: '127.0.0.1',
      ok: false,
      value: null,
      data: { error: 'timeout' },
    });
    await store.writeCheck({
      site: 'a',
      ts: 5,
      kind: 'ntp',
      target: '127.0.0.1',
      ok: true,
      value: 0.001,
      data: { stratum: 2 },
    });
    const checks = await store.latestChecks('ntp');
    assert.equal(checks.length, 1);
    assert.equal(checks[0].ok, true);
    assert.deepEqual(checks[0].data, { stratum: 2 });
    await store.writeMailq({
      site: 'a',
      ts: 10,
      messages: 3,
      frozen: 1,
      bytes: 3000,
      oldestAge: 60,
      summary: { topSenders: [] },
    });
    assert.equal((await store.latestMailq('a'))?.frozen, 1);
    await store.setJobState({
      site: 'a',
      job: 'ping',
      lastRun: 100,
      nextRun: 120,
      failures: 0,
      lastError: null,
    });
    await store.setJobState({
      site: 'a',
      job: 'ping',
      lastRun: 120,
      nextRun: 140,
      failures: 1,
      lastError: 'x',
    });
    assert.deepEqual(await store.jobStates('a'), [
      { site: 'a', job: 'ping', lastRun: 120, nextRun: 140, failures: 1, lastError: 'x' },
    ]);
    assert.deepEqual(await store.sites(), ['a']);
    await store.close();
  } finally {
    t.cleanup();
  }
});
