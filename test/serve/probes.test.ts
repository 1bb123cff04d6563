import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFpingC } from '../../src/serve/probes/latency.js';
import { parseMtrJson } from '../../src/serve/probes/path.js';
import { parseEximBp, snapshotOf, EXIM_ID } from '../../src/serve/probes/mailq.js';
import { toRecords } from '../../src/serve/probes/throughput.js';

test('fping -C output: RTTs in seconds, "-" is a lost ping, noise lines ignored', () => {
  const m = parseFpingC('127.0.0.1      : 0.046 0.045 -\n198.18.0.9 : - - -\nICMP Host Unreachable from 198.18.0.1 for ICMP Echo sent to 198.18.0.9\n');
  const lo = m.get('127.0.0.1')!;
  assert.ok(Math.abs(lo[0]! - 0.000046) < 1e-12 && Math.abs(lo[1]! - 0.000045) < 1e-12 && lo[2] === null, String(lo));
  assert.deepEqual(m.get('198.18.0.9'), [null, null, null]);
  assert.equal(m.size, 2);
});

test('mtr --json: hops in seconds and ratios, ??? hops without hosts, ECMP responders on one hop', () => {
  const hops = parseMtrJson(JSON.stringify({ report: { hubs: [
    { count: 1, host: '198.18.0.2', 'Loss%': 0, Snt: 5, Avg: 0.1, Best: 0.05, Wrst: 0.2 },
    { count: 2, host: '???', 'Loss%': 100, Snt: 5, Avg: 0, Best: 0, Wrst: 0 },
    { count: 3, host: '198.18.0.10', 'Loss%': 20, Snt: 5, Avg: 1.5, Best: 1, Wrst: 2 },
    { count: 3, host: '198.18.0.14', 'Loss%': 20, Snt: 5, Avg: 1.5, Best: 1, Wrst: 2 },
  ] } }));
  assert.equal(hops.length, 3);
  assert.deepEqual(hops[1], { ttl: 2, hosts: [], loss: 1, sent: 5, avg: null, best: null, worst: null });
  assert.deepEqual(hops[2].hosts, ['198.18.0.10', '198.18.0.14']);
  assert.equal(hops[2].avg, 0.0015);
});

test('exim -bp: ages, sizes, frozen, undelivered recipients; summary with top senders', () => {
  const text = [
    '25m  2.9K 1tHmKs-000Abc-9Z <alice@example.org>',
    '        D bob@example.net',
    '            carol@example.net',
    '',
    ' 2h   512 1tHmKs-000Abd-AA <> *** frozen ***',
    '          dave@example.com',
    '',
  ].join('\n');
  const msgs = parseEximBp(text);
  assert.deepEqual(msgs.map((m) => [m.id, m.age, m.size, m.sender, m.frozen, m.recipients]), [
    ['1tHmKs-000Abc-9Z', 1500, 2970, 'alice@example.org', false, ['carol@example.net']],
    ['1tHmKs-000Abd-AA', 7200, 512, '<>', true, ['dave@example.com']],
  ]);
  const s = snapshotOf(msgs);
  assert.deepEqual({ messages: s.messages, frozen: s.frozen, oldestAge: s.oldestAge, frozenIds: s.frozenIds }, { messages: 2, frozen: 1, oldestAge: 7200, frozenIds: ['1tHmKs-000Abd-AA'] });
  assert.ok(EXIM_ID.test('1tHmKs-000Abc-9Z') && EXIM_ID.test('1abcDE-000123-AB') && !EXIM_ID.test('1abcDE-000123-AB; rm -rf /'));
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
