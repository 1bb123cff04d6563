import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { probeHttp } from '../../src/probe/http.js';
import { makePki, opensslNotAfter } from './pki.js';
import { cli } from './helpers.js';

const BODY = Buffer.alloc(100_000, 'x');
const handler: http.RequestListener = (req, res) => {
  if (req.url === '/missing') {
    res.writeHead(404);
    res.end('no');
    return;
  }
  // headers first, body a little later: first byte and transfer are distinct phases
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.write(BODY.subarray(0, 1000));
  setTimeout(() => res.end(BODY.subarray(1000)), 20);
};
const listen = async (s: http.Server) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
};
// async: the servers run in this process, a synchronous child would block them
const curl = async (url: string, ...args: string[]) =>
  (
    await promisify(execFile)(
      'curl',
      [
        '-s',
        '--max-time',
        '10',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code} %{size_download}',
        ...args,
        url,
      ],
      { encoding: 'utf8' },
    )
  ).stdout;

test('http probe against a Node HTTPS server with a test CA chain', async () => {
  const pki = makePki();
  const good = https.createServer({ key: pki.key, cert: pki.cert }, handler);
  const old = https.createServer({ key: pki.key, cert: pki.oldCert }, handler);
  const plain = http.createServer(handler);
  const [pg, po, pp] = [await listen(good), await listen(old), await listen(plain)];
  try {
    const url = `https://127.0.0.1:${pg}/`;
    const r = await probeHttp(url, { ca: pki.ca, timeoutMs: 10_000 });
    assert.equal(r.success, true, JSON.stringify(r));
    assert.equal(r.status, 200);
    assert.equal(r.bodyBytes, BODY.length);
    // every phase present and in order; an address literal has no DNS phase
    assert.equal(r.at.dnsMs, null);
    const seq = [r.at.connectMs, r.at.tlsMs, r.at.firstByteMs, r.at.totalMs];
    for (const x of seq) assert.equal(typeof x, 'number', JSON.stringify(r.at));
    for (let i = 1; i < seq.length; i++) assert.ok(seq[i]! >= seq[i - 1]!, JSON.stringify(r.at));
    for (const k of ['connect', 'tls', 'processing', 'transfer'] as const)
      assert.ok(r.phases[k]! >= 0, k);
    assert.ok(r.rateBps! > 0);
    // the certificate as openssl reads it
    const notAfter = opensslNotAfter(pki.certFile);
    assert.equal(r.tls!.cert!.notAfter, new Date(notAfter).toISOString());
    assert.equal(r.tls!.cert!.daysLeft, Math.floor((notAfter - Date.now()) / 86_400_000));
    assert.equal(r.tls!.cert!.subject, 'CN=localhost');
    assert.equal(r.tls!.cert!.issuer, 'CN=hostops test CA');
    assert.equal(r.tls!.authorized, true);
    // curl on the same URL agrees on status and size
    assert.equal(await curl(url, '--cacert', pki.caFile), `200 ${BODY.length}`);

    // by name: the DNS phase is there and comes first
    const byName = await probeHttp(`https://localhost:${pg}/`, { ca: pki.ca });
    assert.equal(byName.success, true, JSON.stringify(byName));
    assert.ok(
      byName.at.dnsMs !== null && byName.at.dnsMs <= byName.at.connectMs!,
      JSON.stringify(byName.at),
    );

    // not trusted without the CA: failure, certificate still described; --insecure accepts it
    const untrusted = await probeHttp(url, {});
    assert.equal(untrusted.success, false);
    assert.equal(untrusted.tls!.authorized, false);
    assert.equal(untrusted.tls!.authorizationError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.match(untrusted.failure!, /^certificate not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    assert.equal(untrusted.tls!.cert!.subject, 'CN=localhost');
    assert.equal((await probeHttp(url, { insecure: true })).success, true);

    // expired: reported with negative days left, as openssl's date says
    const exp = await probeHttp(`https://127.0.0.1:${po}/`, { ca: pki.ca });
    assert.equal(exp.success, false);
    assert.equal(exp.tls!.authorizationError, 'CERT_HAS_EXPIRED');
    const oldAfter = opensslNotAfter(pki.oldCertFile);
    assert.equal(exp.tls!.cert!.notAfter, '2020-02-01T00:00:00.000Z');
    assert.equal(exp.tls!.cert!.daysLeft, Math.floor((oldAfter - Date.now()) / 86_400_000));
    assert.ok(exp.tls!.cert!.daysLeft < 0);

    // expected status; plain http has no TLS phase
    const miss = await probeHttp(`http://127.0.0.1:${pp}/missing`);
    assert.equal(miss.success, false);
    assert.equal(miss.failure, 'status 404, expected 2xx');
    assert.equal(miss.at.tlsMs, null);
    assert.equal(await curl(`http://127.0.0.1:${pp}/missing`), `404 ${miss.bodyBytes}`);
    assert.equal(
      (await probeHttp(`http://127.0.0.1:${pp}/missing`, { expectStatus: [404] })).success,
      true,
    );

    // the CLI: text layout, --json, --ca, exit codes
    const t = await cli(['probe', 'http', url, '--ca', pki.caFile]);
    assert.equal(t.status, 0, t.stderr);
    assert.match(
      t.stdout,
      new RegExp(
        `^https://127\\.0\\.0\\.1:${pg}/ -> 200 \\(HTTP/1\\.1\\), 100000 bytes, \\d+ B/s\\n  dns +-\\n  connect +[\\d.]+ ms  \\(at [\\d.]+\\)\\n  tls +[\\d.]+ ms  \\(at [\\d.]+\\)\\n  first byte +[\\d.]+ ms  \\(at [\\d.]+\\)\\n  transfer +[\\d.]+ ms\\n  total +[\\d.]+ ms\\n  tls TLSv1\\.3 \\S+, trusted\\n  cert subject CN=localhost; issuer CN=hostops test CA; expires \\S+ \\(\\d+ days left\\)\\n$`,
      ),
    );
    const e = await cli([
      'probe',
      'http',
      `https://127.0.0.1:${po}/`,
      '--ca',
      pki.caFile,
      '--json',
    ]);
    assert.equal(e.status, 1);
    assert.equal(JSON.parse(e.stdout).tls.authorizationError, 'CERT_HAS_EXPIRED');
    const k = await cli(['probe', 'http', `https://127.0.0.1:${po}/`, '-k']);
    assert.equal(k.status, 0, k.stdout);
    assert.match(k.stdout, /NOT trusted \(CERT_HAS_EXPIRED\)/);
    const s = await cli([
      'probe',
      'http',
      `http://127.0.0.1:${pp}/missing`,
      '--expect-status',
      '404,410',
    ]);
    assert.equal(s.status, 0, s.stdout);
    assert.equal((await cli(['probe', 'http', 'ftp://127.0.0.1/'])).status, 2);
    assert.equal((await cli(['probe', 'http', url, '--ca', '/nonexistent/ca.pem'])).status, 3);
  } finally {
    for (const s of [good, old, plain]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  }
});
