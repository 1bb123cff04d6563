import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgDriver, SqlStore } from '../../src/store/index.js';
import { ensureFleetSchema } from '../../src/fleet/schema.js';
import { addSite, addTarget, setSla } from '../../src/fleet/inventory.js';
import { FleetFollower } from '../../src/fleet/follow.js';
import { followFleet } from '../../src/fleet/agent-follow.js';
import { parseConfig } from '../../src/config/load.js';
import type { ResolvedConfig } from '../../src/config/index.js';
import { InventorySlaCache } from '../../src/fleet/sla-cache.js';
import type { FleetTarget } from '../../src/fleet/inventory.js';
import { bouncerForFile } from '../store/pgbouncer.js';
import { tempDir } from '../store/helpers.js';

const { cluster, bouncer } = bouncerForFile('transaction');

test('behind a transaction-pooled PgBouncer (LISTEN never delivers) the follower still sees a new target by polling', async () => {
  const owner = new PgDriver(cluster().url); // migrations and fleet commands run against PostgreSQL itself
  const t = tempDir('hostops-pgb-follow-');
  await owner.migrate();
  await ensureFleetSchema(owner.sql);
  await addSite(owner.sql, 'ldn', cluster().url);
  await addTarget(owner.sql, 'fra', '198.18.0.10', ['eu']);
  const agentDb = new PgDriver(bouncer().url(cluster().url), { prepare: false });
  let seen: (t: FleetTarget[]) => void = () => {};
  const next = new Promise<FleetTarget[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no change within 20 s')), 20_000);
    seen = (x) => {
      clearTimeout(timer);
      resolve(x);
    };
  });
  const f = new FleetFollower({
    sql: agentDb.sql,
    site: 'ldn',
    copyPath: path.join(t.dir, 'fleet-assignment.json'),
    pollSeconds: 1,
    onChange: (x) => seen(x),
  });
  try {
    const first = await f.start();
    assert.equal(first?.source, 'database');
    assert.deepEqual(
      first?.targets.map((x) => x.name),
      ['fra'],
    );
    await addTarget(owner.sql, 'waw', '198.18.0.12', ['eu']);
    assert.deepEqual(
      (await next).map((x) => x.name),
      ['fra', 'waw'],
      'the new target reaches the agent without a restart',
    );
  } finally {
    await f.stop();
    await agentDb.close();
    await owner.close();
    t.cleanup();
  }
});

test('behind a transaction-pooled PgBouncer the SLA cache serves a changed SLA once its entry is older than the max age', async () => {
  const owner = new PgDriver(cluster().url);
  const store = new SqlStore(new PgDriver(bouncer().url(cluster().url), { prepare: false }));
  let now = 1_000_000;
  const cache = new InventorySlaCache(store, undefined, 60_000, () => now);
  try {
    await owner.migrate();
    await ensureFleetSchema(owner.sql);
    await addTarget(owner.sql, 'ams', '198.18.0.11', ['nl']);
    await setSla(owner.sql, { group: 'nl', rtt: '< 80 ms' });
    assert.equal((await cache.get())!('ldn', 'ams')!.rtt!.value, 0.08);
    await setSla(owner.sql, { group: 'nl', rtt: '< 20 ms' });
    await sleep(1000); // a NOTIFY, were it delivered, arrives in milliseconds
    assert.equal(
      (await cache.get())!('ldn', 'ams')!.rtt!.value,
      0.08,
      'no NOTIFY through transaction pooling: still the cached SLA',
    );
    assert.equal(cache.loads, 1);
    now += 60_000;
    assert.equal((await cache.get())!('ldn', 'ams')!.rtt!.value, 0.02, 'read again after max age');
    assert.equal(cache.loads, 2);
  } finally {
    await cache.close();
    await store.close();
    await owner.close();
  }
});

test('store.inventoryPoll in hostops.yaml: a duration, 5 minutes by default, 0 off', () => {
  assert.equal(parseConfig('site: a\n').store.inventoryPoll, 300);
  assert.equal(parseConfig('site: a\nstore:\n  inventoryPoll: 0\n').store.inventoryPoll, 0);
  assert.throws(
    () => parseConfig('site: a\nstore:\n  inventoryPoll: soon\n'),
    (e: { code?: string; message: string }) =>
      e.code === 'CONFIG_INVALID' && /store\.inventoryPoll/.test(e.message),
  );
});

test('an agent behind a transaction-pooled PgBouncer polls the inventory as often as store.inventoryPoll says', async () => {
  const owner = new PgDriver(cluster().url);
  const t = tempDir('hostops-pgb-poll-');
  const url = bouncer().url(cluster().url);
  const cfg: ResolvedConfig = {
    ...parseConfig(
      `site: par\ndefaults: { self: false, gateway: false }\nstore:\n  kind: postgres\n  url: ${url}\n  prepare: false\n  inventoryPoll: 1s\n  spool:\n    path: ${t.dir}/spool.db\n`,
    ),
    site: 'par',
  };
  const store = new SqlStore(new PgDriver(url, { prepare: false }));
  const reloads: string[][] = [];
  const agent = {
    cfg,
    store,
    async reload(next: ResolvedConfig) {
      reloads.push(next.targets.map((x) => x.name));
      agent.cfg = next;
      return { changed: [], restart: [], notes: [] } as never;
    },
  };
  let f: FleetFollower | null = null;
  try {
    await owner.migrate();
    await ensureFleetSchema(owner.sql);
    await addSite(owner.sql, 'par', cluster().url);
    f = await followFleet(agent, () => {});
    assert.ok(f, 'a fleet database: the agent follows it');
    const before = reloads.length;
    const known = reloads.at(-1) ?? [];
    await addTarget(owner.sql, 'lis', '198.18.0.14', ['eu']);
    for (let i = 0; i < 100 && !(reloads.at(-1) ?? []).includes('lis'); i++) await sleep(100);
    assert.deepEqual(reloads.at(-1), [...known, 'lis'].sort(), 'reloaded with the new target');
    assert.ok(reloads.length > before);
  } finally {
    await f?.stop();
    await store.close();
    await owner.close();
    t.cleanup();
  }
});
