import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// 127.0.0.1:12397 has no NTP server: its probes end as no-reply quickly (ICMP port unreachable)
test('ntp check with several hosts: a bad one is reported in its place, the others are still checked', () => {
  const run = (json: boolean) =>
    spawnSync(
      process.execPath,
      [
        'bin/hostops.js',
        'ntp',
        'check',
        '127.0.0.1',
        '300.1.1.1',
        '-p',
        '12397',
        '-t',
        '300',
        ...(json ? ['--json'] : []),
      ],
      { encoding: 'utf8', timeout: 30000 },
    );
  const t = run(false);
  assert.equal(t.status, 2, t.stderr);
  assert.match(t.stdout, /127\.0\.0\.1:12397 +server: unknown/);
  assert.match(t.stdout, /300\.1\.1\.1 +error: not a valid IP address/);
  assert.match(t.stderr, /hostops: 300\.1\.1\.1: not a valid IP address.*\n  code: NTP_BAD_HOST/);
  const j = run(true);
  const r = JSON.parse(j.stdout);
  assert.equal(r[0].verdict, 'no-reply');
  assert.equal(r[1].host, '300.1.1.1');
  assert.equal(r[1].error.code, 'NTP_BAD_HOST');
});

test('ntp audit FILE...: an unreadable file is reported, the other files are still audited', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hoaudit-'));
  const conf = path.join(dir, 'chrony.conf');
  writeFileSync(conf, 'allow\n');
  const r = spawnSync(
    process.execPath,
    ['bin/hostops.js', 'ntp', 'audit', path.join(dir, 'missing.conf'), conf, '--json'],
    { encoding: 'utf8', timeout: 30000 },
  );
  assert.equal(r.status, 2, r.stderr);
  const [missing, ok] = JSON.parse(r.stdout);
  assert.equal(missing.error.code, 'NTP_AUDIT_READ');
  assert.equal(ok.kind, 'chrony');
  assert.ok(ok.findings.some((f: { id: string }) => f.id === 'allow-too-wide'));
});

test('ntp query timeout: the peer is named once, and the hint names the port really used', () => {
  const r = spawnSync(
    process.execPath,
    ['bin/hostops.js', 'ntp', 'query', '127.0.0.1', '-p', '12397', '-t', '200'],
    { encoding: 'utf8', timeout: 20000 },
  );
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /^hostops: no NTP reply from 127\.0\.0\.1 within 200 ms \(127\.0\.0\.1:12397\)\n/,
  );
  assert.match(r.stderr, /drops UDP 12397\n/);
});
