import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PgDriver, SqlStore } from '../../src/store/index.js';
import { readInventory, targetsOf } from '../../src/fleet/inventory.js';
import { distanceKm, pickNearest } from '../../src/fleet/nearest.js';
import { startPg } from '../store/pg-cluster.js';
import { rounds } from '../store/helpers.js';

test('pickNearest: measured latency first, then distance, then name', () => {
  assert.equal(Math.round(distanceKm({ lat: 51.5, lon: -0.12 }, { lat: 50.11, lon: 8.68 })), 637); // London - Frankfurt
  const sites = [
    { name: 'ldn', lat: 51.5, lon: -0.12, rtt: null },
    { name: 'nyc', lat: 40.7, lon: -74, rtt: 0.004 },
    { name: 'fra', lat: 50.11, lon: 8.68, rtt: null },
    { name: 'sgp', lat: null, lon: null, rtt: null },
  ];
  assert.deepEqual(pickNearest(sites, { lat: 48.85, lon: 2.35 }, 3), {
    sites: ['nyc', 'ldn', 'fra'],
    basis: 'latency 1, coordinates 2',
  });
  assert.deepEqual(pickNearest(sites, { lat: null, lon: null }, 2), {
    sites: ['nyc', 'fra'],
    basis: 'latency 1, name 1',
  });
});

test('assign --nearest N: stored, resolved from coordinates without data, from latency once measured; other targets stay a full mesh', async () => {
  const pg = await startPg();
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['bin/hostops.js', 'fleet', ...args, '--db', pg.url], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const store = new SqlStore(new PgDriver(pg.url));
  try {
    for (const s of ['ldn', 'fra', 'nyc']) run('add-site', s);
    run('add-target', 'shop', '198.18.5.1');
    run('add-target', 'core', '198.18.5.2');
    assert.equal(run('locate', 'ldn', '51.5,-0.12'), 'site ldn at 51.5,-0.12\n');
    run('locate', 'fra', '50.11,8.68');
    run('locate', 'nyc', '40.7,-74');
    assert.equal(run('locate', 'shop', '48.85,2.35'), 'target shop at 48.85,2.35\n'); // Paris
    assert.equal(
      run('assign', '--nearest', '2', 'shop'),
      'target shop: nearest 2: ldn, fra (by coordinates 2)\n',
    );
    const inv = await readInventory(
      store.driver instanceof PgDriver ? store.driver.sql : (null as never),
    );
    assert.deepEqual(
      ['ldn', 'fra', 'nyc'].map((s) =>
        targetsOf(inv, s)
          .map((t) => t.name)
          .join(','),
      ),
      ['core,shop', 'core,shop', 'core'],
    );
    // measured: nyc answers fastest, ldn next (a day's rounds in 5-minute rollups)
    const now = Date.now() / 1000;
    await store.writePings([
      ...rounds('nyc', 'shop', now - 3000, 20, 20, 3),
      ...rounds('ldn', 'shop', now - 3000, 20, 20, 9),
      ...rounds('fra', 'shop', now - 3000, 20, 20, 30),
    ]);
    for (const s of ['nyc', 'ldn', 'fra']) await store.rollup(s);
    assert.equal(run('resolve-nearest'), 'target shop: nearest 2: nyc, ldn (by latency 2)\n');
    assert.match(run('list'), /\n {2}shop: nearest 2: nyc, ldn \(by latency 2\)\n/);
    // rows under an old name count for the target: the rename keeps its latency
    run('rename-target', 'shop', 'shop-paris');
    assert.equal(run('resolve-nearest'), 'target shop-paris: nearest 2: nyc, ldn (by latency 2)\n');
    const bad = spawnSync(
      process.execPath,
      ['bin/hostops.js', 'fleet', 'assign', '--nearest', '0', 'core', '--db', pg.url],
      { encoding: 'utf8' },
    );
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--nearest 0: needs a whole number of sites, at least 1/);
  } finally {
    await store.close();
    pg.stop();
  }
});
