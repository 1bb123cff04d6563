import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PgDriver } from '../../src/store/index.js';
import { ensureFleetSchema } from '../../src/fleet/schema.js';
import { addSite, addTarget, assign } from '../../src/fleet/inventory.js';
import { FleetFollower } from '../../src/fleet/follow.js';
import type { FleetTarget } from '../../src/fleet/inventory.js';
import { freePort, startPg, type PgCluster } from '../store/pg-cluster.js';
import { tempDir } from '../store/helpers.js';

let pg: PgCluster;
before(async () => {
  pg = await startPg();
});
after(() => {
  pg?.stop();
});

/** The next onChange call, or a failure after 20 s (bounded: NOTIFY arrives in milliseconds). */
function nextChange(): { fn: (t: FleetTarget[]) => void; wait: Promise<FleetTarget[]> } {
  let fn!: (t: FleetTarget[]) => void;
  const wait = new Promise<FleetTarget[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no NOTIFY within 20 s')), 20_000);
    fn = (t) => {
      clearTimeout(timer);
      resolve(t);
    };
  });
  return { fn, wait };
}

test('an agent reads its assignment at start, follows changes by NOTIFY, and starts from its local copy without the database', async () => {
  const owner = new PgDriver(pg.url);
  const t = tempDir('hostops-follow-');
  const copyPath = path.join(t.dir, 'state', 'fleet-assignment.json');
  try {
    await owner.migrate();
    await ensureFleetSchema(owner.sql);
    const site = await addSite(owner.sql, 'ldn', pg.url);
    await addSite(owner.sql, 'nyc', pg.url);
    await addTarget(owner.sql, 'fra', '198.18.0.10', ['eu']);
    await addTarget(owner.sql, 'ams', '198.18.0.11', ['eu']);

    // the agent connects with its own role: reading the inventory is all it needs
    const agentDb = new PgDriver(site.url);
    let change = nextChange();
    const f = new FleetFollower({
      sql: agentDb.sql,
      site: 'ldn',
      copyPath,
      onChange: (x) => change.fn(x),
    });
    try {
      const first = await f.start();
      assert.equal(first?.source, 'database');
      assert.deepEqual(
        first?.targets.map((x) => x.name),
        ['ams', 'fra'],
        'full mesh by default',
      );
      assert.deepEqual(
        JSON.parse(readFileSync(copyPath, 'utf8')).targets.map((x: FleetTarget) => x.address),
        ['198.18.0.11', '198.18.0.10'],
      );

      await addTarget(owner.sql, 'waw', '198.18.0.12', ['eu']);
      assert.deepEqual(
        (await change.wait).map((x) => x.name),
        ['ams', 'fra', 'waw'],
        'a new target reaches the agent without a restart',
      );

      change = nextChange();
      await assign(owner.sql, 'nyc', ['fra']); // explicit mode: ldn now has nothing assigned
      assert.deepEqual(await change.wait, []);
      change = nextChange();
      await assign(owner.sql, 'ldn', ['group:eu']);
      assert.deepEqual(
        (await change.wait).map((x) => x.name),
        ['ams', 'fra', 'waw'],
      );
    } finally {
      await f.stop();
      await agentDb.close();
    }

    // the database is gone at the next start: the local copy is measured
    const gone = new PgDriver(`postgres://postgres@127.0.0.1:${await freePort()}/hostops`, {
      connectTimeout: 2,
    });
    const logs: string[] = [];
    const g = new FleetFollower({
      sql: gone.sql,
      site: 'ldn',
      copyPath,
      onChange: () => {},
      log: (m) => logs.push(m),
      retryFirstSeconds: 3600,
      retrySeconds: 3600,
    });
    try {
      const r = await g.start();
      assert.equal(r?.source, 'copy');
      assert.deepEqual(
        r?.targets.map((x) => x.name),
        ['ams', 'fra', 'waw'],
      );
      assert.match(
        logs[0],
        /fleet database not reachable .*: measuring the local copy .*fleet-assignment\.json until it is/,
      );
    } finally {
      await g.stop();
      await gone.close();
    }

    // a site the inventory does not know is not in a fleet
    const other = new FleetFollower({
      sql: owner.sql,
      site: 'par',
      copyPath: path.join(t.dir, 'x.json'),
      onChange: () => {},
    });
    assert.equal(await other.start(), null);
    await other.stop();
  } finally {
    await owner.close();
    t.cleanup();
  }
});

test('a burst of inventory changes leaves the follower on the last state (one read at a time)', async () => {
  const owner = new PgDriver(pg.url);
  const t = tempDir('hostops-follow-burst-');
  const seen: string[] = [];
  const f = new FleetFollower({
    sql: owner.sql,
    site: 'burst',
    copyPath: path.join(t.dir, 'copy.json'),
    onChange: async (x) => {
      seen.push(x.map((y) => y.name).join(','));
    },
  });
  try {
    await ensureFleetSchema(owner.sql);
    await addSite(owner.sql, 'burst', pg.url);
    for (const [n, a] of [
      ['b1', '198.18.9.1'],
      ['b2', '198.18.9.2'],
      ['b3', '198.18.9.3'],
    ])
      await addTarget(owner.sql, n, a, ['burst']);
    await assign(owner.sql, 'burst', ['b1']);
    assert.ok(await f.start());
    // twenty committed changes without waiting: each NOTIFY may arrive while a read runs
    const sets = [['b1'], ['b2', 'b3'], ['b3'], ['b1', 'b2', 'b3']];
    for (let i = 0; i < 20; i++) {
      const want = sets[i % sets.length];
      await owner.sql.begin(async (tx) => {
        await tx.unsafe(`DELETE FROM fleet_assignments WHERE site = 'burst'`);
        await tx.unsafe(
          `INSERT INTO fleet_assignments (site, target_id) SELECT 'burst', id FROM fleet_targets WHERE name = ANY($1)`,
          [want as never],
        );
      });
    }
    for (let i = 0; i < 80 && seen.at(-1) !== 'b1,b2,b3'; i++)
      await new Promise((r) => setTimeout(r, 250));
    // let a read still running finish (a stale one finishing last is the defect this catches)
    for (let i = 0; i < 80 && (f as unknown as { refreshing: unknown }).refreshing; i++)
      await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(seen.at(-1), 'b1,b2,b3', seen.join(' | '));
    assert.deepEqual(
      JSON.parse(readFileSync(path.join(t.dir, 'copy.json'), 'utf8')).targets.map(
        (x: FleetTarget) => x.name,
      ),
      ['b1', 'b2', 'b3'],
    );
  } finally {
    await f.stop();
    await owner.close();
    t.cleanup();
  }
});
