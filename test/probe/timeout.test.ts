import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { probeHttp } from '../../src/probe/http.js';
import { probeSmtp } from '../../src/probe/smtp.js';

test('http and smtp probes end at their timeout against a server that accepts and says nothing', async () => {
  const held: Socket[] = [];
  const srv = createServer((s) => {
    held.push(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  try {
    const h = await probeHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 300 });
    assert.equal(h.success, false);
    assert.equal(h.failure, 'timeout after 300 ms');
    assert.equal(typeof h.at.connectMs, 'number');
    assert.equal(h.at.firstByteMs, null);
    const s = await probeSmtp('127.0.0.1', port, { timeoutMs: 300 });
    assert.equal(s.success, false);
    assert.equal(s.failure, 'timeout after 300 ms');
    assert.equal(s.banner, null);
  } finally {
    for (const s of held) s.destroy();
    await new Promise((r) => srv.close(r));
  }
});
