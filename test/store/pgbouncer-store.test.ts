import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgDriver, SqlStore } from '../../src/store/index.js';
import { buildOverview } from '../../src/serve/overview.js';
import { bouncerForFile } from './pgbouncer.js';
import { rounds } from './helpers.js';

const { cluster, bouncer } = bouncerForFile('transaction');

test('through a transaction-pooled PgBouncer 1.18 with store.prepare false: migrate, write pings, roll up and read the overview', async () => {
  const direct = new SqlStore(new PgDriver(cluster().url));
  const viaPgb = new SqlStore(
    new PgDriver(bouncer().url(cluster().url), { prepare: false, max: 4 }),
  );
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
