import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, buildHttp, serve } from '../../src/serve/index.js';
import { isHostopsError } from '../../src/lib/errors.js';
import { openStore } from '../../src/store/index.js';
import { fakeMailq, freePort, rounds, tempDir, testConfig } from './helpers.js';

const TOKEN = 'test-token-0123456789abcdef';

test('a non-loopback bind without a token is refused before anything listens', async () => {
  const t = tempDir();
  try {
    const cfg = testConfig(t.dir, await freePort());
    cfg.listen.host = '0.0.0.0';
    await assert.rejects(
      serve(cfg),
      (e: unknown) => isHostopsError(e) && e.code === 'SERVE_TOKEN_REQUIRED' && e.exitCode === 2,
    );
  } finally {
    t.cleanup();
  }
});

test('with a non-loopback bind every data request needs the token', async () => {
  const t = tempDir();
  const port = await freePort();
  const cfg = testConfig(t.dir, port, { listen: { host: '0.0.0.0', port, token: TOKEN } });
  const agent = await Agent.create(cfg);
  const app = await buildHttp(agent, { host: cfg.listen.host, port, token: TOKEN });
  try {
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${base}/api/overview`)).status, 401);
    assert.equal((await fetch(`${base}/metrics`)).status, 401);
    assert.equal(
      (
        await fetch(`${base}/api/overview`, {
          headers: { Authorization: 'Bearer wrong-token-0123456789' },
        })
      ).status,
      401,
    );
    assert.equal(
      (await fetch(`${base}/api/overview`, { headers: { Authorization: `Bearer ${TOKEN}` } }))
        .status,
      200,
    );
    assert.equal(
      (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status,
      200,
    );
    assert.equal(
      (await fetch(`${base}/`)).status,
      200,
      'the page itself loads and asks for the token',
    );
  } finally {
    await app.close();
    await agent.stop();
    t.cleanup();
  }
});

test('removing mail needs the token, a CSRF token and the same origin; it is audited', async () => {
  const t = tempDir();
  const port = await freePort();
  const mailq = fakeMailq();
  const cfg = testConfig(t.dir, port, {
    listen: { host: '127.0.0.1', port, token: TOKEN },
    mailq: { enabled: true },
  });
  const agent = await Agent.create(cfg, { probes: { mailq } });
  const audit = path.join(t.dir, 'audit.log');
  const app = await buildHttp(agent, { host: '127.0.0.1', port, token: TOKEN, auditLog: audit });
  const base = `http://127.0.0.1:${port}`;
  const post = (headers: Record<string, string>, body: unknown = { ids: ['1abcDE-000123-AB'] }) =>
    fetch(`${base}/api/mailq/remove`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  try {
    // reads on loopback need no token
    assert.equal((await fetch(`${base}/api/status`)).status, 200);
    const { csrf } = (await (await fetch(`${base}/api/csrf`)).json()) as { csrf: string };
    assert.equal((await post({ 'X-CSRF-Token': csrf })).status, 401, 'no token');
    assert.equal((await post({ Authorization: `Bearer ${TOKEN}` })).status, 403, 'no CSRF token');
    assert.equal(
      (await post({ Authorization: `Bearer ${TOKEN}`, 'X-CSRF-Token': csrf + 'x' })).status,
      403,
      'forged CSRF token',
    );
    assert.equal(
      (
        await post({
          Authorization: `Bearer ${TOKEN}`,
          'X-CSRF-Token': csrf,
          Origin: 'http://evil.example',
        })
      ).status,
      403,
      'cross-origin',
    );
    assert.equal(
      (
        await post(
          { Authorization: `Bearer ${TOKEN}`, 'X-CSRF-Token': csrf },
          { ids: ['$(rm -rf /)'] },
        )
      ).status,
      400,
      'ids are validated',
    );
    assert.equal(
      (
        await fetch(`${base}/api/mailq/remove`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${TOKEN}`,
            'X-CSRF-Token': csrf,
            'Content-Type': 'text/plain',
          },
          body: '{"ids":["1abcDE-000123-AB"]}',
        })
      ).status,
      415,
    );
    assert.deepEqual(mailq.removed, []);
    const ok = await post({ Authorization: `Bearer ${TOKEN}`, 'X-CSRF-Token': csrf, Origin: base });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { removed: ['1abcDE-000123-AB'], failed: [] });
    assert.deepEqual(mailq.removed, ['1abcDE-000123-AB']);
    const line = JSON.parse(readFileSync(audit, 'utf8').trim());
    assert.equal(line.action, 'mailq.remove');
  } finally {
    await app.close();
    await agent.stop();
    t.cleanup();
  }
});

test('without a configured token, actions are refused even on loopback', async () => {
  const t = tempDir();
  const port = await freePort();
  const cfg = testConfig(t.dir, port);
  const agent = await Agent.create(cfg, { probes: { mailq: fakeMailq() } });
  const app = await buildHttp(agent, { host: '127.0.0.1', port });
  try {
    const { csrf } = (await (await fetch(`http://127.0.0.1:${port}/api/csrf`)).json()) as {
      csrf: string;
    };
    const r = await fetch(`http://127.0.0.1:${port}/api/mailq/remove`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: '{"ids":["1abcDE-000123-AB"]}',
    });
    assert.equal(r.status, 403);
  } finally {
    await app.close();
    await agent.stop();
    t.cleanup();
  }
});

test('the overview matrix gives median, loss and SLA compliance per site and target', async () => {
  const t = tempDir();
  const port = await freePort();
  const now = Math.floor(Date.now() / 1000 / 300) * 300;
  const cfg = testConfig(t.dir, port, {
    targets: [
      { name: 'nyc', host: '198.18.1.1', sla: { rtt: '< 70 ms' } },
      {
        name: 'fra',
        host: '198.18.1.2',
        sla: { rtt: '< 20 ms', loss: '< 1%' },
        sites: { par: { rtt: '< 30 ms', loss: '< 30%' } },
      },
    ],
  });
  const store = await openStore(cfg.store);
  // ldn->nyc: 65 ms for the first 12 h of the last day, then 75 ms: half the buckets comply
  await store.writePings(rounds('ldn', 'nyc', now - 86400 + 30, 2160, 20, 62));
  await store.writePings(rounds('ldn', 'nyc', now - 43200 + 30, 2160, 20, 72));
  await store.writePings(rounds('ldn', 'fra', now - 3600 + 30, 180, 20, 10, true));
  await store.writePings(rounds('par', 'fra', now - 3600 + 30, 180, 20, 22, true));
  await store.rollup();
  const agent = await Agent.create(cfg, { store });
  const app = await buildHttp(agent, { host: '127.0.0.1', port });
  try {
    const ov = (await (await fetch(`http://127.0.0.1:${port}/api/overview`)).json()) as {
      sites: string[];
      targets: string[];
      cells: {
        site: string;
        target: string;
        median: number;
        loss: number;
        compliance: number;
        ok: boolean;
        sla: { rtt?: string; loss?: string };
      }[];
    };
    assert.deepEqual(ov.sites, ['ldn', 'par']);
    assert.deepEqual(ov.targets, ['nyc', 'fra']);
    const cell = (s: string, tg: string) => ov.cells.find((c) => c.site === s && c.target === tg)!;
    const nyc = cell('ldn', 'nyc');
    assert.ok(Math.abs(nyc.median - 0.07425) < 1e-4, `median ${nyc.median}`);
    assert.equal(nyc.loss, 0);
    assert.ok(Math.abs(nyc.compliance - 0.5) < 0.02, `compliance ${nyc.compliance}`);
    assert.equal(nyc.ok, false);
    assert.deepEqual(nyc.sla, { rtt: '< 70 ms' });
    const fra = cell('ldn', 'fra');
    assert.ok(Math.abs(fra.loss - 0.2) < 1e-9);
    assert.equal(fra.compliance, 0, 'loss above 1% fails every bucket');
    const parFra = cell('par', 'fra');
    assert.deepEqual(parFra.sla, { rtt: '< 30 ms', loss: '< 30%' });
    assert.equal(parFra.ok, true);
    assert.equal(parFra.compliance, 1);
    const hist = (await (
      await fetch(
        `http://127.0.0.1:${port}/api/history?site=ldn&target=nyc&from=${now - 30 * 86400}&to=${now}`,
      )
    ).json()) as { resolution: string; ts: number[] };
    assert.equal(hist.resolution, '1h');
    assert.ok(hist.ts.length >= 24 && hist.ts.length <= 26);
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/history?target=../etc`)).status, 400);
  } finally {
    await app.close();
    await agent.stop();
    t.cleanup();
  }
});
