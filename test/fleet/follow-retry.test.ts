import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '../../src/serve/index.js';
import { PgDriver } from '../../src/store/index.js';
import { ensureFleetSchema } from '../../src/fleet/schema.js';
import { addSite, addTarget } from '../../src/fleet/inventory.js';
import { FleetFollower } from '../../src/fleet/follow.js';
import { startPg } from '../store/pg-cluster.js';
import { freePort, tableProber, tempDir, testConfig } from '../serve/helpers.js';

/** Poll f every 250 ms until it returns true; false after `seconds` (bounded). */
async function until(f: () => Promise<boolean>, seconds: number): Promise<boolean> {
  for (let i = 0; i < seconds * 4; i++) {
    if (await f()) return true;
    await sleep(250);
  }
  return false;
}

test('retry delays double from the first up to the cap', () => {
  const f = new FleetFollower({
    sql: null as never,
    site: 'x',
    copyPath: '/nonexistent',
    onChange: () => {},
    retryFirstSeconds: 1,
    retrySeconds: 10,
  });
  const seen: number[] = [];
  for (let i = 0; i < 6; i++) {
    seen.push(f.retryDelay());
    (f as unknown as { attempts: number }).attempts++;
  }
  assert.deepEqual(seen, [1, 2, 4, 8, 10, 10]);
});

test('an agent that starts while the fleet database is down, with no local copy, retries and then measures its inventory targets', async () => {
  const pg = await startPg();
  const t = tempDir('hostops-follow-retry-');
  const owner = new PgDriver(pg.url);
  let agent: Awaited<ReturnType<typeof serve>> | null = null;
  const logs: string[] = [];
  try {
    await owner.migrate();
    await ensureFleetSchema(owner.sql);
    const site = await addSite(owner.sql, 'ldn', pg.url);
    await addTarget(owner.sql, 'fra', '198.18.7.1', ['eu']);
    await owner.close();
    pg.pause();
    const cfg = testConfig(t.dir, await freePort(), {
      site: 'ldn',
      ping: { interval: '1s', count: 3 },
      defaults: { self: false, gateway: false },
      targets: [{ name: 'cfg-only', host: '198.18.7.9' }],
      store: {
        kind: 'postgres',
        url: site.url,
        spool: { path: path.join(t.dir, 'state', 'ldn.spool') },
      },
    });
    agent = await serve(cfg, {
      probes: { latency: tableProber({ '198.18.7.1': [0.01], '198.18.7.9': [0.02] }) },
      firstRunSpread: 0.1,
      log: (m) => logs.push(m),
    });
    const names = async () =>
      ((await (await fetch(`${agent!.url}/api/status`)).json()) as any).targets
        .map((x: any) => `${x.name}=${x.host}`)
        .join(',');
    assert.equal(
      await names(),
      'cfg-only=198.18.7.9',
      "the config's targets until the inventory is read",
    );
    assert.ok(
      logs.some((m) =>
        /fleet database not reachable .* and no local copy .*fleet-assignment\.json: retrying/.test(
          m,
        ),
      ),
      logs.join('\n'),
    );
    assert.ok(!existsSync(path.join(t.dir, 'state', 'fleet-assignment.json')));
    await sleep(2500); // a few failed attempts while it is down
    pg.resume();
    assert.ok(
      await until(async () => (await names()) === 'fra=198.18.7.1', 90),
      `inventory targets not taken: ${await names()}\n${logs.join('\n')}`,
    );
    assert.ok(
      logs.some((m) =>
        /fleet database reached after \d+ attempt\(s\): following the inventory/.test(m),
      ),
      logs.join('\n'),
    );
    assert.ok(
      existsSync(path.join(t.dir, 'state', 'fleet-assignment.json')),
      'the local copy is written once read',
    );
    const check = new PgDriver(pg.url);
    try {
      assert.ok(
        await until(
          async () =>
            Number(
              (
                await check.all<{ n: number }>(
                  `SELECT count(*) AS n FROM ping WHERE site = 'ldn' AND target = 'fra'`,
                )
              )[0].n,
            ) > 0,
          60,
        ),
        'fra is measured and stored',
      );
    } finally {
      await check.close();
    }
  } finally {
    await agent?.stop();
    pg.stop();
    t.cleanup();
  }
});
