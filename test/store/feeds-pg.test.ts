/** Per transit feed on PostgreSQL: the feed column of migration 6, series target@feed, old rows ''. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PgDriver, SqlStore } from '../../src/store/index.js';
import { startPg, type PgCluster } from './pg-cluster.js';

let pg: PgCluster;
before(async () => {
  pg = await startPg();
});
after(() => {
  pg?.stop();
});

test("postgres: pings and paths keep their feed; rows without one read ''; each feed rolls up as its own series", async () => {
  const store = new SqlStore(new PgDriver(pg.url));
  try {
    await store.migrate();
    const T0 = 1_700_000_000 - (1_700_000_000 % 300);
    await store.writePings([
      {
        site: 'pf',
        target: 'lon@nyc-transit',
        feed: 'nyc-transit',
        ts: T0,
        sent: 10,
        received: 5,
        rtts: Array(5).fill(0.068),
      },
      {
        site: 'pf',
        target: 'lon@lon-transit',
        feed: 'lon-transit',
        ts: T0,
        sent: 10,
        received: 10,
        rtts: Array(10).fill(0.004),
      },
      { site: 'pf', target: 'plain', ts: T0, sent: 10, received: 10, rtts: Array(10).fill(0.001) },
    ]);
    await store.writePath({
      site: 'pf',
      target: 'lon@nyc-transit',
      feed: 'nyc-transit',
      ts: T0,
      hops: [],
    });
    await store.driver.batch([
      [
        "INSERT INTO ping (site, target, ts, sent, received, rtts) VALUES ('pf', 'old', $1, 1, 1, '[0.001]')",
        [T0],
      ],
    ]);
    const rows = await store.driver.all<{ target: string; feed: string }>(
      "SELECT target, feed FROM ping WHERE site = 'pf' ORDER BY target",
    );
    assert.deepEqual(
      rows.map((r) => [r.target, r.feed]),
      [
        ['lon@lon-transit', 'lon-transit'],
        ['lon@nyc-transit', 'nyc-transit'],
        ['old', ''],
        ['plain', ''],
      ],
    );
    const [p] = await store.latestPaths('pf');
    assert.equal(p.feed, 'nyc-transit');
    await store.rollup('pf');
    const nyc = await store.pingHistory('pf', 'lon@nyc-transit', T0, T0 + 300, '5m');
    const lon = await store.pingHistory('pf', 'lon@lon-transit', T0, T0 + 300, '5m');
    assert.deepEqual(
      [nyc.received[0], nyc.median[0], lon.received[0], lon.median[0]],
      [5, 0.068, 10, 0.004],
    );
  } finally {
    await store.close();
  }
});
