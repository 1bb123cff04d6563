import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PgDriver, SqlStore } from '../../src/store/index.js';
import { buildOverview } from '../../src/serve/overview.js';
import { startPg, type PgCluster } from './pg-cluster.js';
import { startBouncer, type Bouncer } from './pgbouncer.js';
import { rounds } from './helpers.js';

let pg: PgCluster;
let pgb: Bouncer;
before(async () => {
  pg = await startPg();
  pgb = await startBouncer(pg, 'transaction');
});
after(() => {
  pgb?.stop();
  pg?.stop();
});

test('through a transaction-pooled PgBouncer 1.18 with store.prepare false: migrate, write pings, roll up and read the overview', async () => {
  const direct = new SqlStore(new PgDriver(pg.url));
  const viaPgb = new SqlStore(new PgDriver(pgb.url(pg.url), { prepare: false, max: 4 }));
  try {
    await viaPgb.migrate();
    const t0 = 1_700_000_000;
    await viaPgb.writePings(rounds('ldn', 'fra', t0, 30));
    await viaPgb.writePings(rounds('ldn', 'ams', t0, 800)); // more than one chunk: a transaction
    assert.equal(await viaPgb.pingCount('ldn'), 830);
    await viaPgb.rollup();
    const now = t0 + 3600;
    const over = await buildOverview(viaPgb, [], now);
    assert.deepEqual(
      over,
      await buildOverview(direct, [], now),
      'same overview as without PgBouncer',
    );
    assert.ok(JSON.stringify(over).includes('ams'));
  } finally {
    await viaPgb.close();
    await direct.close();
  }
});
