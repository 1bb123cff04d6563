/**
 * Probe rows in PostgreSQL: two agents (sites) probing the same loopback HTTP server and closed
 * port write one database, each overview lists both sites' probes, and runs made while the
 * database is away reach it from the spool.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { serve } from '../../src/serve/index.js';
import { startPg } from '../store/pg-cluster.js';
import { freePort, tempDir, testConfig } from './helpers.js';
import { until } from './alert-peers.js';

test('probe runs of two sites land in one PostgreSQL, in both overviews, and through the spool', async () => {
  const pg = await startPg();
  const t = tempDir('hostops-pgprobe-');
  const web = http.createServer((_req, res) => {
    res.writeHead(204);
    res.end();
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}/`;
  const closed = await freePort();
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  const agents: Awaited<ReturnType<typeof serve>>[] = [];
  const count = async (site: string, probe: string) =>
    Number(
      (await sql`SELECT COUNT(*) AS n FROM probe WHERE site = ${site} AND probe = ${probe}`)[0].n,
    );
  try {
    for (const site of ['ldn', 'nyc']) {
      const cfg = testConfig(t.dir, 0, {
        site,
        ping: { interval: '1h' },
        defaults: { self: false, gateway: false },
        store: {
          kind: 'postgres',
          url: pg.url,
          spool: { path: path.join(t.dir, `${site}.spool`) },
        },
        probes: [
          { name: 'web', prober: 'http', target: url, interval: '1s', http: { status: [204] } },
          { name: 'gone', prober: 'tcp', target: `127.0.0.1:${closed}`, interval: '1s' },
        ],
      });
      agents.push(await serve(cfg, { firstRunSpread: 0.1, log: () => {} }));
    }
    for (const site of ['ldn', 'nyc'])
      for (const p of ['web', 'gone'])
        await until(async () => (await count(site, p)) >= 2, `${site} ${p} rows`, 20_000);
    const rows =
      await sql`SELECT site, probe, prober, target, success, failure, status, phases FROM probe WHERE site = 'ldn' ORDER BY ts DESC LIMIT 10`;
    const web1 = rows.find((r) => r.probe === 'web')!;
    assert.deepEqual(
      [web1.prober, web1.target, web1.success, web1.failure, web1.status],
      ['http', url, 1, null, 204],
    );
    assert.deepEqual(Object.keys(JSON.parse(web1.phases)), [
      'resolve',
      'connect',
      'tls',
      'processing',
      'transfer',
    ]);
    assert.equal(JSON.parse(web1.phases).tls, null, 'no TLS phase for http:');
    const gone = rows.find((r) => r.probe === 'gone')!;
    assert.deepEqual([gone.success, gone.failure], [0, 'ECONNREFUSED']);

    const ov = (await (await fetch(`${agents[0].url}/api/overview`)).json()) as {
      probes: { site: string; probe: string; success: number }[];
    };
    assert.deepEqual(
      ov.probes.map((p) => `${p.site}/${p.probe}/${p.success}`),
      ['ldn/web/1', 'ldn/gone/0', 'nyc/web/1', 'nyc/gone/0'],
    );
    const other = (await (await fetch(`${agents[1].url}/api/probes/web?site=ldn`)).json()) as {
      site: string;
    }[];
    assert.ok(other.length >= 2 && other.every((r) => r.site === 'ldn'));

    // the database away: runs go to the spool and are replayed when it is back
    await sql.end();
    pg.pause();
    const away = Date.now() / 1000;
    const spooled = async () =>
      ((await (await fetch(`${agents[0].url}/api/status`)).json()) as { spool: { rows: number } })
        .spool.rows;
    await until(async () => (await spooled()) >= 4, 'probe runs in the spool', 20_000);
    const back = Date.now() / 1000;
    pg.resume();
    const sql2 = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      // runs made while it was away can only have come through the spool
      const whileAway = async () =>
        Number(
          (
            await sql2`SELECT COUNT(*) AS n FROM probe WHERE site = 'ldn' AND ts > ${away} AND ts < ${back}`
          )[0].n,
        );
      await until(
        async () => (await spooled()) === 0 && (await whileAway()) >= 2,
        'the spool replayed',
        30_000,
      );
    } finally {
      await sql2.end();
    }
  } finally {
    for (const a of agents) await a.stop().catch(() => {});
    await sql.end().catch(() => {});
    web.close();
    pg.stop();
    t.cleanup();
  }
});
