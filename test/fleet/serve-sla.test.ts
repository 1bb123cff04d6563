import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '../../src/serve/index.js';
import { PgDriver } from '../../src/store/index.js';
import { ensureFleetSchema } from '../../src/fleet/schema.js';
import { addSite, addTarget, setSla } from '../../src/fleet/inventory.js';
import { startPg } from '../store/pg-cluster.js';
import { freePort, tableProber, tempDir, testConfig } from '../serve/helpers.js';

test('two agents serve the same pair SLA from the inventory, not from their own configs, and follow its targets', async () => {
  const pg = await startPg();
  const t = tempDir('hostops-fleet-sla-');
  const agents: Awaited<ReturnType<typeof serve>>[] = [];
  const owner = new PgDriver(pg.url);
  try {
    await owner.migrate();
    await ensureFleetSchema(owner.sql);
    for (const s of ['ldn', 'nyc']) await addSite(owner.sql, s, pg.url);
    await addTarget(owner.sql, 'fra', '198.18.7.1', ['eu']);
    await setSla(owner.sql, { group: 'eu', rtt: '< 70 ms' });
    await setSla(owner.sql, { site: 'nyc', target: 'fra', rtt: '< 10 ms', loss: '< 2%' });
    // each agent's config carries its own, different SLA for fra
    for (const [site, rtt, local] of [
      ['ldn', 0.065, '< 1 ms'],
      ['nyc', 0.012, '< 500 ms'],
    ] as const) {
      const cfg = testConfig(t.dir, await freePort(), {
        site,
        ping: { interval: '1s', count: 5 },
        defaults: { self: false, gateway: false },
        targets: [{ name: 'fra', host: '198.18.7.1', sla: { rtt: local } }],
        store: {
          kind: 'postgres',
          url: pg.url,
          spool: { path: path.join(t.dir, `${site}.spool`) },
        },
      });
      agents.push(
        await serve(cfg, {
          probes: { latency: tableProber({ '198.18.7.1': [rtt] }) },
          firstRunSpread: 0.1,
          log: () => {},
        }),
      );
    }
    const views: any[] = [];
    for (const a of agents) {
      let ov: any;
      for (let i = 0; i < 40; i++) {
        await sleep(250);
        ov = await (await fetch(`${a.url}/api/overview`)).json();
        if (ov.sites.length === 2) break;
      }
      views.push(ov);
    }
    for (const ov of views) {
      assert.deepEqual(ov.sites, ['ldn', 'nyc']);
      const byS = Object.fromEntries(ov.cells.map((c: any) => [c.site, c]));
      assert.deepEqual(byS.ldn.sla, { rtt: '< 70 ms' }, JSON.stringify(ov.cells));
      assert.equal(byS.ldn.ok, true);
      assert.deepEqual(byS.nyc.sla, { rtt: '< 10 ms', loss: '< 2%' });
      assert.equal(byS.nyc.ok, false, "12 ms breaks the pair's 10 ms");
    }
    // a target added to the inventory reaches both running agents (NOTIFY, reload), no restart
    await addTarget(owner.sql, 'waw', '198.18.7.2', ['eu']);
    for (const a of agents) {
      let names: string[] = [];
      for (let i = 0; i < 40 && !names.includes('waw=198.18.7.2'); i++) {
        await sleep(250);
        names = ((await (await fetch(`${a.url}/api/status`)).json()) as any).targets.map(
          (x: any) => `${x.name}=${x.host}`,
        );
      }
      assert.deepEqual(names, ['fra=198.18.7.1', 'waw=198.18.7.2']);
    }
  } finally {
    for (const a of agents) await a.stop();
    await owner.close();
    pg.stop();
    t.cleanup();
  }
});
