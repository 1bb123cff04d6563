import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { probeTcp } from '../../src/probe/tcp.js';
import { cli, freePort } from './helpers.js';

test('tcp probe: connects to a listener, counts refusals as loss', async () => {
  let accepted = 0;
  const srv = createServer((s) => {
    accepted++;
    s.destroy();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  try {
    const r = await probeTcp('127.0.0.1', port, { count: 3, intervalMs: 10, timeoutMs: 2000 });
    assert.equal(r.sent, 3);
    assert.equal(r.received, 3);
    assert.equal(r.lossPct, 0);
    assert.ok(r.minMs! > 0 && r.minMs! <= r.avgMs! && r.avgMs! <= r.maxMs!, JSON.stringify(r));
    // the server saw every handshake the probe counted
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(accepted, 3);

    const out = await cli(['probe', 'tcp', `127.0.0.1:${port}`, '-c', '2', '-i', '10ms']);
    assert.equal(out.status, 0, out.stderr);
    assert.match(
      out.stdout,
      new RegExp(
        `^127\\.0\\.0\\.1:${port} seq=1 connect=\\d+\\.\\d{3} ms\\n127\\.0\\.0\\.1:${port} seq=2 connect=\\d+\\.\\d{3} ms\\n--- 127\\.0\\.0\\.1:${port} tcp probe ---\\n2 attempts, 2 connected, 0% loss, min/avg/max = [\\d.]+/[\\d.]+/[\\d.]+ ms\\n$`,
      ),
    );
    const j = JSON.parse(
      (await cli(['probe', 'tcp', `[::1]:${port}`, '-c', '1', '--json'])).stdout,
    );
    assert.equal(j.address, '::1');
    assert.equal(j.received, 0, 'the listener is IPv4 only');
    assert.equal(j.attempts[0].error, 'ECONNREFUSED');
  } finally {
    await new Promise((r) => srv.close(r));
  }

  const closed = await freePort();
  const out = await cli(['probe', 'tcp', `127.0.0.1:${closed}`, '-c', '2', '-i', '10ms', '--json']);
  assert.equal(out.status, 1);
  const j = JSON.parse(out.stdout);
  assert.equal(j.lossPct, 100);
  assert.equal(j.minMs, null);

  const bad = await cli(['probe', 'tcp', '127.0.0.1']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /expected HOST:PORT/);
});
