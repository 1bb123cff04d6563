/** The library API (src/iperf/index.ts) client against our own server: options iperf3 has, IPv6, abort. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runClient, startServer, IperfError, type IperfJson } from '../../src/iperf/index.js';
import { freePort, type J } from './helpers.js';

async function withServer<T>(
  fn: (port: number, results: IperfJson[]) => Promise<T>,
  host = '127.0.0.1',
): Promise<T> {
  const port = await freePort();
  const results: IperfJson[] = [];
  const srv = await startServer({
    port,
    host,
    onEvent: (e) => {
      if (e.type === 'result') results.push(e.json);
    },
  });
  try {
    return await fn(srv.port, results);
  } finally {
    await srv.close();
  }
}

test('-k blocks and -l length: exactly k blocks cross, both ends agree', async () => {
  await withServer(async (port, results) => {
    const r = await runClient({ host: '127.0.0.1', port, blocks: 100, len: 10_000, duration: 0 });
    const e = r.end as J;
    assert.equal(e.sum_sent.bytes, 1_000_000);
    // As with iperf3, the server stops counting at TEST_END: bytes still in flight are not received.
    assert.ok(e.sum_received.bytes > 0 && e.sum_received.bytes <= 1_000_000);
    assert.equal(
      (results[0].end as J).sum_received.bytes,
      e.sum_received.bytes,
      'both ends report the same received count',
    );
    assert.equal((results[0].end as J).sum_sent.bytes, 1_000_000);
    assert.equal((r.start as J).test_start.blocks, 100);
  });
});

test('-O omits the warm-up: omitted intervals are flagged and not in the totals', async () => {
  await withServer(async (port) => {
    const r = await runClient({
      host: '127.0.0.1',
      port,
      duration: 1,
      omit: 1,
      interval: 0.5,
      protocol: 'udp',
      bitrate: 8_000_000,
      len: 1000,
    });
    assert.ok(r.intervals.some((iv) => (iv.sum as J).omitted === true));
    assert.ok(r.intervals.some((iv) => (iv.sum as J).omitted === false));
    const sent = (r.end as J).sum_sent.bytes;
    assert.ok(sent > 600_000 && sent < 1_400_000, `about 1 s at 8 Mbit/s after omit, got ${sent}`);
  });
});

test('UDP -b paces to the target rate and the receiver sees no loss on loopback at 50 Mbit/s', async () => {
  await withServer(async (port) => {
    const r = await runClient({
      host: '127.0.0.1',
      port,
      duration: 1,
      protocol: 'udp',
      bitrate: 50_000_000,
      len: 1400,
    });
    const s = (r.end as J).sum;
    assert.ok(Math.abs(s.bits_per_second - 50e6) / 50e6 < 0.1, `rate ${s.bits_per_second}`);
    assert.equal(s.lost_packets, 0);
  });
});

test('IPv6 on ::1 with -P 2 --bidir', async () => {
  await withServer(async (port) => {
    const r = await runClient({
      host: '::1',
      port,
      duration: 1,
      parallel: 2,
      bidir: true,
      family: 6,
    });
    const e = r.end as J;
    assert.equal(e.streams.length, 4);
    assert.ok(e.sum_received.bytes > 0 && e.sum_received_bidir_reverse.bytes > 0);
    assert.equal((r.start as J).connected[0].remote_host, '::1');
  }, '::1');
});

test('an aborted client rejects with IperfError and the server takes the next test', async () => {
  await withServer(async (port, results) => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    await assert.rejects(
      runClient({ host: '127.0.0.1', port, duration: 5, signal: ac.signal }),
      (e) => e instanceof IperfError,
    );
    await new Promise((r) => setTimeout(r, 200));
    const r = await runClient({ host: '127.0.0.1', port, duration: 1, reverse: true });
    assert.ok((r.end as J).sum_received.bytes > 0);
    assert.equal(results.length, 1);
  });
});

test('a server that accepts the test and then moves no data is given up after the idle timeout', async () => {
  const net = await import('node:net');
  const port = await freePort();
  // A fake server: walks the client to TEST_RUNNING with -R and then sends nothing at all.
  const socks: import('node:net').Socket[] = [];
  const fake = net.createServer((s) => {
    socks.push(s);
    s.on('error', () => {});
    let got = 0;
    s.on('data', (d) => {
      got += d.length;
      if (socks.length === 1 && got >= 37 && got - d.length < 37) s.write(Buffer.from([9]));
      else if (socks.length === 1 && got > 37 && d.length > 4) s.write(Buffer.from([10]));
      else if (socks.length === 2 && got === 37) socks[0].write(Buffer.from([1, 2]));
    });
  });
  await new Promise<void>((r) => fake.listen(port, '127.0.0.1', () => r()));
  try {
    const t0 = Date.now();
    await assert.rejects(
      runClient({ host: '127.0.0.1', port, bytes: 1e9, reverse: true, idleTimeoutMs: 800 }),
      /idle timeout/,
    );
    assert.ok(Date.now() - t0 < 5000);
  } finally {
    for (const s of socks) s.destroy();
    fake.close();
  }
});
