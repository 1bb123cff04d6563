import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { probeSmtp } from '../../src/probe/smtp.js';
import { tcpConnectOnce } from '../../src/probe/tcp.js';
import { EXIM } from '../mailq/helpers.js';
import { makePki, opensslNotAfter } from './pki.js';
import { cli, freePort } from './helpers.js';

const CONF = '/etc/exim4/hostops-probe-test.conf'; // written by scripts/setup.d/probe.sh

test('smtp probe against exim\'s own listener with STARTTLS', async () => {
  const pki = makePki();
  // exim reads the certificate as its own user
  chmodSync(pki.dir, 0o755);
  for (const f of readdirSync(pki.dir)) chmodSync(path.join(pki.dir, f), 0o644);
  const spool = path.join(pki.dir, 'spool');
  mkdirSync(path.join(spool, 'log'), { recursive: true });
  execFileSync('chown', ['-R', 'Debian-exim:Debian-exim', spool]);
  const port = await freePort();
  const exim = spawn(EXIM, ['-C', CONF, `-DSPOOL=${spool}`, `-DTLSCERT=${pki.certFile}`, `-DTLSKEY=${path.join(pki.dir, 'srv.key')}`, '-bdf', '-oX', String(port), '-oP', path.join(pki.dir, 'exim.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  exim.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  const exited = once(exim, 'exit');
  try {
    let up = false;
    for (let i = 0; i < 100 && !up; i++) { // bounded: 10 s
      if (exim.exitCode !== null) break;
      up = 'ms' in (await tcpConnectOnce('127.0.0.1', port, 500));
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(up, `exim did not listen on ${port}: ${err}`);

    const r = await probeSmtp('127.0.0.1', port, { ca: pki.ca, helo: 'probe-client.test' });
    assert.equal(r.success, true, JSON.stringify(r));
    assert.equal(r.banner, 'probe.test ESMTP hostops probe test');
    assert.ok(r.connectMs! <= r.bannerMs! && r.bannerMs! <= r.ehloMs! && r.ehloMs! <= r.tlsMs! && r.tlsMs! <= r.totalMs, JSON.stringify(r));
    assert.equal(r.capabilities[0].startsWith('SIZE'), true, r.capabilities.join('|'));
    assert.ok(r.capabilities.includes('STARTTLS'));
    assert.equal(r.starttls.offered, true);
    // after TLS exim no longer offers STARTTLS
    assert.ok(r.starttls.capabilities.length > 0 && !r.starttls.capabilities.includes('STARTTLS'), r.starttls.capabilities.join('|'));
    const notAfter = opensslNotAfter(pki.certFile);
    assert.equal(r.starttls.tls!.cert!.notAfter, new Date(notAfter).toISOString());
    assert.equal(r.starttls.tls!.cert!.daysLeft, Math.floor((notAfter - Date.now()) / 86_400_000));
    assert.equal(r.starttls.tls!.authorized, true);

    const untrusted = await probeSmtp('127.0.0.1', port, {});
    assert.equal(untrusted.success, false);
    assert.equal(untrusted.failure, 'certificate not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.equal(untrusted.starttls.tls!.cert!.subject, 'CN=localhost');

    // the CLI
    const t = await cli(['probe', 'smtp', `127.0.0.1:${port}`, '--ca', pki.caFile]);
    assert.equal(t.status, 0, t.stdout + t.stderr);
    assert.match(t.stdout, new RegExp(`^127\\.0\\.0\\.1:${port} smtp: ok\\n  banner +[\\d.]+ ms  probe\\.test ESMTP hostops probe test\\n  ehlo +[\\d.]+ ms  SIZE .*STARTTLS.*\\n  starttls +[\\d.]+ ms  after TLS: .*\\n  tls TLSv1\\.3 \\S+, trusted\\n  cert subject CN=localhost; issuer CN=hostops test CA; expires \\S+ \\(\\d+ days left\\)\\n  total +[\\d.]+ ms\\n$`));
    assert.equal((await cli(['probe', 'smtp', `127.0.0.1:${port}`])).status, 1);
    assert.equal((await cli(['probe', 'smtp', `127.0.0.1:${port}`, '-k'])).status, 0);
    const plain = JSON.parse((await cli(['probe', 'smtp', `127.0.0.1:${port}`, '--no-starttls', '--json'])).stdout);
    assert.equal(plain.success, true);
    assert.equal(plain.starttls.offered, true);
    assert.equal(plain.starttls.tls, null);
  } finally {
    exim.kill('SIGTERM');
    await exited;
  }
  // nobody listening: the connect failure is the probe's failure
  const dead = await cli(['probe', 'smtp', `127.0.0.1:${await freePort()}`, '--json']);
  assert.equal(dead.status, 1);
  assert.equal(JSON.parse(dead.stdout).failure, 'ECONNREFUSED');
});
