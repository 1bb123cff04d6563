import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fpingProber, parseFpingC } from '../../src/serve/probes/latency.js';
import { Topology } from '../lib/netns.js';
import { toRecords } from '../../src/serve/probes/throughput.js';

test('fping -C output: RTTs in seconds, "-" is a lost ping, noise lines ignored', () => {
  const m = parseFpingC(
    '127.0.0.1      : 0.046 0.045 -\n198.18.0.9 : - - -\nICMP Host Unreachable from 198.18.0.1 for ICMP Echo sent to 198.18.0.9\n',
  );
  const lo = m.get('127.0.0.1')!;
  assert.ok(
    Math.abs(lo[0]! - 0.000046) < 1e-12 && Math.abs(lo[1]! - 0.000045) < 1e-12 && lo[2] === null,
    String(lo),
  );
  assert.deepEqual(m.get('198.18.0.9'), [null, null, null]);
  assert.equal(m.size, 2);
});

test('the fping prober runs the real fping -C in a namespace: counts, RTTs and lost pings as fping prints them', async () => {
  const t = new Topology('spf');
  const dir = mkdtempSync(path.join(tmpdir(), 'hostops-fping-'));
  try {
    const ns = t.ns('a');
    t.exec(ns, ['ip', 'address', 'add', '198.18.22.1/32', 'dev', 'lo']);
    t.exec(ns, ['ip', 'route', 'add', 'blackhole', '198.18.22.250/32']); // never answers
    const hosts = ['198.18.22.1', '198.18.22.250', '127.0.0.1'];
    // fping -C in the namespace, as the prober runs it and by hand
    const bin = path.join(dir, 'fping-in-ns');
    writeFileSync(bin, `#!/bin/sh\nexec ip netns exec ${ns} fping "$@"\n`);
    chmodSync(bin, 0o755);
    const res = await fpingProber(bin).probe(
      hosts.map((h, i) => ({ name: `t${i}`, host: h })),
      { count: 3, intervalMs: 50, timeoutMs: 200 },
    );
    assert.deepEqual(
      res.map((r) => [r.host, r.sent, r.received, r.rtts.length, r.error ?? null]),
      [
        ['198.18.22.1', 3, 3, 3, null],
        ['198.18.22.250', 3, 0, 0, null],
        ['127.0.0.1', 3, 3, 3, null],
      ],
    );
    assert.ok(
      res.every((r) => r.rtts.every((x) => x > 0 && x < 0.01)),
      JSON.stringify(res),
    );
    const raw = spawnSync(
      'ip',
      ['netns', 'exec', ns, 'fping', '-C', '3', '-q', '-p', '50', '-t', '200', ...hosts],
      { encoding: 'utf8' },
    );
    assert.equal(raw.status, 1, raw.stderr); // 1: some target unreachable
    // fping 5.1's layout: names padded to the longest, " : ", one field per ping, "-" for a lost one
    const lines = raw.stderr.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.replace(/ : .*/, (v) => v.replace(/\d+\.\d{3}/g, 'T'))),
      ['198.18.22.1   : T T T', '198.18.22.250 : - - -', '127.0.0.1     : T T T'],
    );
    const parsed = parseFpingC(raw.stderr);
    assert.deepEqual([...parsed.keys()], hosts);
    for (const l of lines) {
      const [host, vals] = l.split(/\s+:\s+/);
      assert.deepEqual(
        parsed.get(host),
        vals.split(' ').map((v) => (v === '-' ? null : Number(v) / 1000)),
      );
    }
  } finally {
    t.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('iperf3 -J results become throughput records (3.12 "no retransmit data" sentinel dropped)', () => {
  const tcp = toRecords(
    'ldn',
    'nyc',
    1,
    { protocol: 'tcp', reverse: false },
    {
      end: {
        sum_sent: { bytes: 10, bits_per_second: 9e9, retransmits: 18446744073709551615 },
        sum_received: { bytes: 9, bits_per_second: 8e9 },
      },
    },
  );
  assert.deepEqual(tcp, [
    {
      site: 'ldn',
      peer: 'nyc',
      ts: 1,
      protocol: 'tcp',
      direction: 'send',
      bitsPerSecond: 8e9,
      bytes: 9,
      retransmits: null,
    },
  ]);
  const udp = toRecords(
    'ldn',
    'nyc',
    1,
    { protocol: 'udp', reverse: true },
    { end: { sum: { bytes: 5, bits_per_second: 1e6, jitter_ms: 0.5, lost_percent: 2 } } },
  );
  assert.equal(udp[0].direction, 'receive');
  assert.equal(udp[0].jitter, 0.0005);
  assert.equal(udp[0].lostRatio, 0.02);
  const err = toRecords(
    'ldn',
    'nyc',
    1,
    { protocol: 'tcp', reverse: false },
    { error: 'unable to connect to server' },
  );
  assert.equal(err[0].error, 'unable to connect to server');
});
