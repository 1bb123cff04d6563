import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '../../src/serve/index.js';
import { startPg } from '../store/pg-cluster.js';
import { freePort, tableProber, tempDir, testConfig } from './helpers.js';

test('two agents (sites) write one PostgreSQL and each dashboard shows both sites', async () => {
  const pg = await startPg();
  const t = tempDir('hostops-fleet-');
  const agents: Awaited<ReturnType<typeof serve>>[] = [];
  try {
    for (const [site, rtt] of [
      ['ldn', 0.065],
      ['nyc', 0.012],
    ] as const) {
      const cfg = testConfig(t.dir, await freePort(), {
        site,
        ping: { interval: '1s', count: 5 },
        defaults: { self: false, gateway: false },
        targets: [{ name: 'fra', host: '198.18.7.1', sla: { rtt: '< 70 ms' } }],
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
    let ov: any;
    for (let i = 0; i < 40; i++) {
      await sleep(250);
      ov = await (await fetch(`${agents[0].url}/api/overview`)).json();
      if (ov.sites.length === 2) break;
    }
    assert.deepEqual(ov.sites, ['ldn', 'nyc']);
    const byS = Object.fromEntries(ov.cells.map((c: any) => [c.site, c]));
    assert.ok(
      Math.abs(byS.ldn.median - 0.065) < 1e-9 && Math.abs(byS.nyc.median - 0.012) < 1e-9,
      JSON.stringify(ov.cells),
    );
    const sites = await (await fetch(`${agents[1].url}/api/sites`)).json();
    assert.deepEqual(sites, ['ldn', 'nyc']);
    const st = (await (await fetch(`${agents[1].url}/api/status`)).json()) as any;
    assert.equal(st.store, 'postgres');
    assert.equal(st.spool.rows, 0);
  } finally {
    for (const a of agents) await a.stop();
    pg.stop();
    t.cleanup();
  }
});
