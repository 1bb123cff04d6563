import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFpingC } from '../../src/serve/probes/latency.js';
import { toRecords } from '../../src/serve/probes/throughput.js';

test('fping -C output: RTTs in seconds, "-" is a lost ping, noise lines ignored', () => {
  const m = parseFpingC('127.0.0.1      : 0.046 0.045 -\n198.18.0.9 : - - -\nICMP Host Unreachable from 198.18.0.1 for ICMP Echo sent to 198.18.0.9\n');
  const lo = m.get('127.0.0.1')!;
  assert.ok(Math.abs(lo[0]! - 0.000046) < 1e-12 && Math.abs(lo[1]! - 0.000045) < 1e-12 && lo[2] === null, String(lo));
  assert.deepEqual(m.get('198.18.0.9'), [null, null, null]);
  assert.equal(m.size, 2);
});

test('iperf3 -J results become throughput records (3.12 "no retransmit data" sentinel dropped)', () => {
  const tcp = toRecords('ldn', 'nyc', 1, { protocol: 'tcp', reverse: false }, { end: { sum_sent: { bytes: 10, bits_per_second: 9e9, retransmits: 18446744073709551615 }, sum_received: { bytes: 9, bits_per_second: 8e9 } } });
  assert.deepEqual(tcp, [{ site: 'ldn', peer: 'nyc', ts: 1, protocol: 'tcp', direction: 'send', bitsPerSecond: 8e9, bytes: 9, retransmits: null }]);
  const udp = toRecords('ldn', 'nyc', 1, { protocol: 'udp', reverse: true }, { end: { sum: { bytes: 5, bits_per_second: 1e6, jitter_ms: 0.5, lost_percent: 2 } } });
  assert.equal(udp[0].direction, 'receive');
  assert.equal(udp[0].jitter, 0.0005);
  assert.equal(udp[0].lostRatio, 0.02);
  const err = toRecords('ldn', 'nyc', 1, { protocol: 'tcp', reverse: false }, { error: 'unable to connect to server' });
  assert.equal(err[0].error, 'unable to connect to server');
});
