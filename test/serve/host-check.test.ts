/**
 * DNS rebinding (issue 11 item 4): a page on attacker.example that re-points its name at 127.0.0.1
 * reaches the agent with `Host: attacker.example`. The real binary must refuse every such request
 * (421) and keep answering the names it is bound to or configured with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, tempDir } from './helpers.js';
import { baseYaml, curl, startServe } from './binary.js';
import { sameOrigin } from '../../src/serve/security.js';
import { allowedHostNames, hostAllowed } from '../../src/serve/host-check.js';

test('serve answers only the Host names it is bound to or configured with (curl, foreign Host -> 421)', async () => {
  const t = tempDir();
  const port = await freePort();
  const srv = await startServe(
    t.dir,
    baseYaml(t.dir, port, '', 'allowedHosts: [dash.example.test]'),
  );
  try {
    const base = `http://127.0.0.1:${port}`;
    for (const p of [
      '/api/mailq',
      '/api/overview',
      '/api/status',
      '/api/csrf',
      '/metrics',
      '/',
      '/api/history?target=x',
    ]) {
      for (const h of [
        `attacker.example:${port}`,
        'attacker.example',
        `127.0.0.1.attacker.example:${port}`,
        `localhost.:${port}x`,
        '[::2]',
      ]) {
        const r = curl(base + p, [`Host: ${h}`]);
        assert.equal(r.status, 421, `${p} with Host ${h}: ${r.body}`);
        assert.doesNotMatch(r.body, /"site"|"latest"|hostops_/, 'no data in the refusal');
      }
    }
    assert.match(curl(`${base}/api/mailq`, ['Host: evil.example']).body, /listen\.allowedHosts/);
    for (const h of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LOCALHOST.:${port}`,
      `[::1]:${port}`,
      `dash.example.test:${port}`,
      'dash.example.test',
    ]) {
      assert.equal(curl(`${base}/api/mailq`, [`Host: ${h}`]).status, 200, h);
    }
    assert.equal(curl(`${base}/api/status`).status, 200, "curl's own Host header");
  } finally {
    await srv.stop();
    t.cleanup();
  }
});

test('listen.allowedHosts is validated: a bad name is a config error naming the field', async () => {
  const t = tempDir();
  try {
    const port = await freePort();
    const { spawnSync } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    const path = await import('node:path');
    writeFileSync(
      path.join(t.dir, 'hostops.yaml'),
      baseYaml(t.dir, port, '', 'allowedHosts: ["evil host/"]'),
    );
    const r = spawnSync(
      process.execPath,
      [path.resolve('bin/hostops.js'), 'serve', '--check-config'],
      { cwd: t.dir, encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /listen\.allowedHosts\[0\]/);
  } finally {
    t.cleanup();
  }
});

test('the same-origin check compares Origin with the allowed hosts, not with the request Host', () => {
  const allowed = allowedHostNames('127.0.0.1', ['dash.example.test']);
  // a rebound page: Host and Origin agree with each other, and neither is ours
  assert.equal(
    sameOrigin({ host: 'attacker.example:8080', origin: 'http://attacker.example:8080' }, allowed),
    false,
  );
  assert.equal(
    sameOrigin({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' }, allowed),
    true,
  );
  assert.equal(
    sameOrigin({ host: 'dash.example.test', origin: 'https://dash.example.test' }, allowed),
    true,
  );
  assert.equal(
    sameOrigin({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:9999' }, allowed),
    false,
    'another port is another origin',
  );
  assert.equal(
    sameOrigin({ host: '127.0.0.1:8080', referer: 'http://attacker.example:8080/x' }, allowed),
    false,
  );
  assert.equal(hostAllowed('[::1]:8080', allowed), true);
  assert.equal(hostAllowed('[zz]:8080', allowed), false);
  const wild = allowedHostNames('0.0.0.0');
  assert.ok(wild.has('127.0.0.1') && wild.has('localhost') && !wild.has('attacker.example'));
});

test('an action posted through a rebound name is refused before the same-origin check (node http client, foreign Host and Origin)', async () => {
  const t = tempDir();
  const port = await freePort();
  const token = 'test-token-0123456789abcdef';
  const srv = await startServe(t.dir, baseYaml(t.dir, port, '', `token: ${token}`));
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/mailq/remove',
          method: 'POST',
          headers: {
            Host: `attacker.example:${port}`,
            Origin: `http://attacker.example:${port}`,
            'Content-Type': 'application/json',
            Authorization: `Bearer ${token}`,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('{"ids":["1abcDE-000123-AB"]}');
    });
    assert.equal(status, 421);
  } finally {
    await srv.stop();
    t.cleanup();
  }
});
