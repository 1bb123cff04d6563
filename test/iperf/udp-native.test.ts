/**
 * The native UDP receive path (hostops_sock: recvmmsg, kernel timestamps, counters in C) against
 * the JS path it replaces, on crafted datagrams, and against iperf3 3.12 as sender; the JS path
 * still works as the fallback (HOSTOPS_IPERF_UDP_RX=js).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { countUdp } from '../../src/iperf/udp-data.js';
import { StreamStats } from '../../src/iperf/stream.js';
import { requireBinary, iperf3AgainstOurs, type J } from './helpers.js';

requireBinary('iperf3');

function datagram(seq: number, udp64: boolean, len = 200): Buffer {
  const b = Buffer.alloc(len);
  const [sec, ns] = process.hrtime();
  b.writeUInt32BE(sec, 0);
  b.writeUInt32BE(Math.floor(ns / 1000), 4);
  if (udp64) b.writeBigUInt64BE(BigInt(seq), 8);
  else b.writeUInt32BE(seq, 8);
  return b;
}

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/** Feed the same sequence to a native and a JS counter; both must count it as iperf3 does. */
async function compare(
  seqs: number[],
  udp64: boolean,
): Promise<{ native: StreamStats; js: StreamStats }> {
  const rxN = await bound();
  const rxJ = await bound();
  const tx = await bound();
  const native = new StreamStats(1, false, 5);
  const js = new StreamStats(1, false, 5);
  let running = true;
  assert.equal(
    countUdp(rxN, native, udp64, () => running),
    'native',
    'the addon must take the native path',
  );
  process.env.HOSTOPS_IPERF_UDP_RX = 'js';
  try {
    assert.equal(
      countUdp(rxJ, js, udp64, () => running),
      'js',
    );
  } finally {
    delete process.env.HOSTOPS_IPERF_UDP_RX;
  }
  native.rx!.start();
  for (const seq of seqs) {
    // short datagrams count with their real length (the addon reads only the header)
    const d = datagram(seq, udp64, seq % 2 ? 1400 : 60);
    tx.send(d, rxN.address().port, '127.0.0.1');
    tx.send(d, rxJ.address().port, '127.0.0.1');
  }
  tx.send(Buffer.alloc(8), rxN.address().port, '127.0.0.1'); // too short for a header: ignored by both
  tx.send(Buffer.alloc(8), rxJ.address().port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 300));
  running = false;
  native.rx!.stop();
  tx.send(datagram(99, udp64), rxN.address().port, '127.0.0.1'); // after TEST_END: not counted
  await new Promise((r) => setTimeout(r, 100));
  native.rx!.sync();
  for (const s of [rxN, rxJ, tx]) s.close();
  return { native, js };
}

test('native counters equal the JS reference: loss, out-of-order, packets, bytes (32-bit counters)', async () => {
  const seqs = [1, 2, 3, 5, 6, 4, 10, 7, 11, 12, 12, 20];
  const { native, js } = await compare(seqs, false);
  for (const k of ['bytes', 'packets', 'errors', 'outOfOrder'] as const)
    assert.equal(native[k], js[k], k);
  assert.equal(native.packets, 20);
  assert.equal(native.outOfOrder, 3);
  assert.equal(native.errors, 8); // 11 missing (4, 7-9, 13-19) minus 3 that came late (4, 7 and the repeated 12)
  assert.ok(native.jitter >= 0 && native.jitter < 0.01, `jitter ${native.jitter}`);
});

test('native counters with 64-bit sequence numbers beyond 2^32', async () => {
  const base = 2 ** 32 + 5;
  const { native, js } = await compare([base, base + 1, base + 3], true);
  assert.equal(native.packets, base + 3);
  assert.equal(native.packets, js.packets);
  assert.equal(native.errors, js.errors);
});

test('iperf3 -u -b 300M -P 2 into the native receiver: every sent datagram accounted for, per interval too', async () => {
  const { theirs, ours } = await iperf3AgainstOurs([
    '-u',
    '-b',
    '300M',
    '-l',
    '1400',
    '-P',
    '2',
    '-w',
    '4M',
  ]);
  const sum = ours.end.sum_received;
  // received + lost = highest sequence seen; iperf3 stops the clock at TEST_END, a few may be in flight
  assert.ok(
    sum.packets <= theirs.end.sum_sent.packets && sum.packets >= theirs.end.sum_sent.packets * 0.98,
  );
  assert.equal(theirs.end.sum.lost_packets, ours.end.sum.lost_packets);
  assert.equal(theirs.end.sum_received.bytes, sum.bytes);
  assert.ok(sum.lost_percent < 5, `loss ${sum.lost_percent}% at 300 Mbit/s on loopback`);
  const ivPackets = ours.intervals.reduce((a: number, iv: J) => a + iv.sum.packets, 0);
  // (a last interval shorter than a tenth of -i is not reported, as with iperf3)
  assert.ok(
    ivPackets <= sum.packets && ivPackets >= sum.packets * 0.98,
    `intervals hold ${ivPackets} of ${sum.packets} packets`,
  );
  assert.ok(ours.intervals.every((iv: J) => iv.sum.jitter_ms >= 0 && iv.sum.jitter_ms < 5));
});

test('the JS receive path still works as the fallback (HOSTOPS_IPERF_UDP_RX=js)', async () => {
  process.env.HOSTOPS_IPERF_UDP_RX = 'js';
  try {
    const { theirs, ours } = await iperf3AgainstOurs(['-u', '-b', '20M', '-l', '1200']);
    assert.equal(theirs.end.sum.lost_packets, ours.end.sum.lost_packets);
    assert.equal(theirs.end.sum_received.bytes, ours.end.sum_received.bytes);
    assert.ok(ours.end.sum_received.packets > 1000);
  } finally {
    delete process.env.HOSTOPS_IPERF_UDP_RX;
  }
});
