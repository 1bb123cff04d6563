import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './helpers.js';

const BIN = path.resolve('bin/hostops.js');
const run = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...env },
  });

test('hostops serve --check-config reports a bad field and exits 2', () => {
  const t = tempDir();
  try {
    writeFileSync(
      path.join(t.dir, 'hostops.yaml'),
      'targets:\n  - name: nyc\n    host: 198.18.0.1\n    sla: { rtt: soon }\n',
    );
    const r = run(['serve', '--check-config'], t.dir);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /hostops\.yaml:4: targets\[0\]\.sla\.rtt: expected an RTT bound/);
    assert.match(r.stderr, /code: CONFIG_INVALID/);
  } finally {
    t.cleanup();
  }
});

test('hostops serve --check-config --json prints the resolved defaults without a config file', () => {
  const t = tempDir();
  try {
    const r = run(['serve', '--check-config', '--json'], t.dir);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.file, null);
    assert.equal(j.config.listen.host, '127.0.0.1');
    assert.equal(j.config.listen.port, 8080);
    assert.equal(j.config.targets[0].host, '127.0.0.1');
  } finally {
    t.cleanup();
  }
});

test('hostops serve refuses a non-loopback bind without a token (exit 2) and a short token', () => {
  const t = tempDir();
  try {
    const r = run(['serve', '--listen', '0.0.0.0:0', '--db', path.join(t.dir, 'x.db')], t.dir, {
      HOSTOPS_TOKEN: '',
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 without a token/);
    assert.match(r.stderr, /code: SERVE_TOKEN_REQUIRED/);
    const s = run(['serve', '--listen', '0.0.0.0:0', '--db', path.join(t.dir, 'x.db')], t.dir, {
      HOSTOPS_TOKEN: 'short',
    });
    assert.equal(s.status, 2, s.stderr);
    assert.match(s.stderr, /code: SERVE_TOKEN_WEAK/);
  } finally {
    t.cleanup();
  }
});

test('hostops serve --check-config hides passwords and tokens in the store and receiver URLs', () => {
  const t = tempDir();
  try {
    writeFileSync(
      path.join(t.dir, 'hostops.yaml'),
      [
        'store: { kind: postgres, url: "postgres://agent:s3cretpw@127.0.0.1/hostops?sslmode=require&password=qsecret" }',
        'alerts:',
        '  alertmanager: ["http://am:ampass@127.0.0.1:9093"]',
        '  webhook: ["https://127.0.0.1:8443/hook?token=hooktoken123"]',
        '',
      ].join('\n'),
    );
    const r = run(['serve', '--check-config', '--json'], t.dir);
    assert.equal(r.status, 0, r.stderr);
    for (const secret of ['s3cretpw', 'qsecret', 'ampass', 'hooktoken123'])
      assert.ok(!r.stdout.includes(secret), `${secret} printed:\n${r.stdout}`);
    const j = JSON.parse(r.stdout);
    assert.equal(
      j.config.store.url,
      'postgres://agent:***@127.0.0.1/hostops?sslmode=require&password=***',
    );
    assert.deepEqual(j.config.alerts.alertmanager, ['http://127.0.0.1:9093']);
    assert.deepEqual(j.config.alerts.webhook, ['https://127.0.0.1:8443/hook?***']);
  } finally {
    t.cleanup();
  }
});
