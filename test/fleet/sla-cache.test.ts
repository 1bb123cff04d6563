import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgDriver, SqlStore } from '../../src/store/index.js';
import { ensureFleetSchema } from '../../src/fleet/schema.js';
import { addTarget, setSla } from '../../src/fleet/inventory.js';
import { InventorySlaCache } from '../../src/fleet/sla-cache.js';
import { startPg } from '../store/pg-cluster.js';

test("the overview's inventory SLAs are read once and re-read only after NOTIFY", async () => {
  const pg = await startPg();
  const owner = new PgDriver(pg.url);
  const store = new SqlStore(new PgDriver(pg.url));
  const cache = new InventorySlaCache(store);
  try {
    await owner.migrate();
    await ensureFleetSchema(owner.sql);
    await addTarget(owner.sql, 'fra', '198.18.0.10', ['eu']);
    await setSla(owner.sql, { group: 'eu', rtt: '< 80 ms' });
    for (let i = 0; i < 5; i++)
      assert.deepEqual((await cache.get())!('ldn', 'fra'), { rtt: { op: '<', value: 0.08 } });
    await Promise.all([cache.get(), cache.get(), cache.get()]);
    assert.equal(cache.loads, 1, 'eight requests, one read');
    await setSla(owner.sql, { group: 'eu', rtt: '< 20 ms' });
    let rtt = 0.08;
    for (let i = 0; i < 80 && rtt !== 0.02; i++) {
      await sleep(250);
      rtt = (await cache.get())!('ldn', 'fra')!.rtt!.value;
    }
    assert.equal(rtt, 0.02, 'the change is seen without a restart');
    assert.equal(cache.loads, 2);
    await cache.get();
    assert.equal(cache.loads, 2);
  } finally {
    await cache.close();
    await store.close();
    await owner.close();
    pg.stop();
  }
});
