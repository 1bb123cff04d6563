import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeSmtp } from '../../src/probe/smtp.js';
import { makePki, opensslNotAfter } from './pki.js';
import { cli, freePort } from './helpers.js';
import { startExim } from './peers.js';

test("smtp probe against exim's own listener with STARTTLS", async () => {
  const pki = makePki();
  const exim = await startExim(pki);
  const port = exim.port;
  try {
    const r = await probeSmtp('127.0.0.1', port, { ca: pki.ca, helo: 'probe-client.test' });
    assert.equal(r.success, true, JSON.stringify(r));
    assert.equal(r.banner, 'probe.test ESMTP hostops probe test');
    assert.ok(
      r.connectMs! <= r.bannerMs! &&
        r.bannerMs! <= r.ehloMs! &&
        r.ehloMs! <= r.tlsMs! &&
        r.tlsMs! <= r.totalMs,
      JSON.stringify(r),
    );
    assert.equal(r.capabilities[0].startsWith('SIZE'), true, r.capabilities.join('|'));
    assert.ok(r.capabilities.includes('STARTTLS'));
    assert.equal(r.starttls.offered, true);
    // after TLS exim no longer offers STARTTLS
    assert.ok(
      r.starttls.capabilities.length > 0 && !r.starttls.capabilities.includes('STARTTLS'),
      r.starttls.capabilities.join('|'),
    );
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
    assert.match(
      t.stdout,
      new RegExp(
        `^127\\.0\\.0\\.1:${port} smtp: ok\\n  banner +[\\d.]+ ms  probe\\.test ESMTP hostops probe test\\n  ehlo +[\\d.]+ ms  SIZE .*STARTTLS.*\\n  starttls +[\\d.]+ ms  after TLS: .*\\n  tls TLSv1\\.3 \\S+, trusted\\n  cert subject CN=localhost; issuer CN=hostops test CA; expires \\S+ \\(\\d+ days left\\)\\n  total +[\\d.]+ ms\\n$`,
      ),
    );
    assert.equal((await cli(['probe', 'smtp', `127.0.0.1:${port}`])).status, 1);
    assert.equal((await cli(['probe', 'smtp', `127.0.0.1:${port}`, '-k'])).status, 0);
    const plain = JSON.parse(
      (await cli(['probe', 'smtp', `127.0.0.1:${port}`, '--no-starttls', '--json'])).stdout,
    );
    assert.equal(plain.success, true);
    assert.equal(plain.starttls.offered, true);
    assert.equal(plain.starttls.tls, null);
  } finally {
    await exim.stop();
  }
  // nobody listening: the connect failure is the probe's failure
  const dead = await cli(['probe', 'smtp', `127.0.0.1:${await freePort()}`, '--json']);
  assert.equal(dead.status, 1);
  assert.equal(JSON.parse(dead.stdout).failure, 'ECONNREFUSED');
});
