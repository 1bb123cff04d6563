import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyzeCapture } from '../../src/ddos/index.js';
import {
  writeScenario,
  NTP_VICTIM,
  DNS_VICTIM,
  NTP_REFLECTORS,
  DNS_REFLECTORS,
} from './lib/scenario.js';
import { convUdp, convKey, tshark, tsharkSize } from './lib/tshark.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hostops-ddos-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('conversation counts equal tshark -z conv,udp on a mixed capture (pcapng, ns)', async () => {
  const file = path.join(dir, 'mixed.pcapng');
  writeFileSync(file, writeScenario({ format: 'pcapng', tsresol: 9 }));
  const r = await analyzeCapture(file, { minPps: 500, minReflectors: 10, conversations: true });
  const ts = convUdp(file);
  assert.equal(r.conversations.count, ts.size, 'conversation count');
  for (const c of r.udpConversations!) {
    const t = ts.get(convKey(c.addressA, c.portA, c.addressB, c.portB));
    assert.ok(t, `tshark lacks ${c.addressA}:${c.portA} <-> ${c.addressB}:${c.portB}`);
    // tshark's A is the first sender, as ours
    assert.equal(`${t.a}:${t.pa}`, `${c.addressA}:${c.portA}`);
    assert.equal(t.framesAB, c.framesAtoB);
    assert.equal(t.framesBA, c.framesBtoA);
    assert.equal(t.bytesAB, tsharkSize(c.bytesAtoB));
    assert.equal(t.bytesBA, tsharkSize(c.bytesBtoA));
  }
  // exact byte totals: sum of frame.len over UDP frames
  const lens = tshark(['-r', file, '-Y', 'udp', '-T', 'fields', '-e', 'frame.len'])
    .trim()
    .split('\n')
    .map(Number);
  assert.equal(r.udpPackets, lens.length);
  assert.equal(
    r.udpBytes,
    lens.reduce((s, x) => s + x, 0),
  );
});

test('finds the NTP monlist and DNS reflection victims and nothing else', async () => {
  const file = path.join(dir, 'mixed.pcap');
  writeFileSync(file, writeScenario({ format: 'pcap' }));
  const r = await analyzeCapture(file, { minPps: 500, minReflectors: 10 });
  assert.deepEqual(r.victims.map((v) => v.address).sort(), [NTP_VICTIM, DNS_VICTIM].sort());
  const ntp = r.victims.find((v) => v.address === NTP_VICTIM)!;
  assert.equal(ntp.vectors.length, 1);
  assert.equal(ntp.vectors[0].protocol, 'ntp');
  assert.equal(ntp.reflectors, NTP_REFLECTORS);
  assert.equal(ntp.packets, NTP_REFLECTORS * 300);
  assert.equal(ntp.bytes, NTP_REFLECTORS * 300 * 482, 'monlist frames are 482 bytes on Ethernet');
  assert.equal(ntp.monlistPackets, NTP_REFLECTORS * 300);
  const dns = r.victims.find((v) => v.address === DNS_VICTIM)!;
  assert.equal(dns.vectors[0].protocol, 'dns');
  assert.equal(dns.reflectors, DNS_REFLECTORS);
  assert.equal(dns.monlistPackets, 0);

  // cross-check the monlist signature and per-victim volume with tshark display filters
  const monlist = tshark([
    '-r',
    file,
    '-Y',
    'ntp.flags.mode == 7 && ntp.priv.flags.r == 1 && ntp.priv.reqcode == 42',
    '-T',
    'fields',
    '-e',
    'frame.number',
  ])
    .trim()
    .split('\n').length;
  assert.equal(ntp.monlistPackets, monlist);
  const sig = tshark([
    '-r',
    file,
    '-Y',
    `udp.srcport == 123 && ip.len == 468 && ip.dst == ${NTP_VICTIM}`,
    '-T',
    'fields',
    '-e',
    'ip.src',
  ])
    .trim()
    .split('\n');
  assert.equal(sig.length, ntp.packets);
  assert.equal(new Set(sig).size, ntp.reflectors);
  // peak: the busiest second of the victim, by tshark's io,stat-like count
  const secs = new Map<number, number>();
  for (const t of tshark([
    '-r',
    file,
    '-Y',
    `ip.dst == ${NTP_VICTIM} && udp.srcport == 123`,
    '-T',
    'fields',
    '-e',
    'frame.time_epoch',
  ])
    .trim()
    .split('\n')) {
    const s = Math.floor(Number(t));
    secs.set(s, (secs.get(s) ?? 0) + 1);
  }
  assert.equal(ntp.peakPps, Math.max(...secs.values()));
  assert.equal(ntp.peakBps, ntp.peakPps * 482 * 8);
  assert.ok(ntp.topReflectors.length <= 10 && ntp.topReflectors[0].packets === 300);
});

test('thresholds decide what is reported', async () => {
  const file = path.join(dir, 'th.pcap');
  writeFileSync(file, writeScenario({ format: 'pcap' }));
  const strict = await analyzeCapture(file, { minPps: 500, minReflectors: NTP_REFLECTORS + 1 });
  assert.equal(strict.victims.length, 0);
  const loose = await analyzeCapture(file, { minPps: 1, minReflectors: 1 });
  // with no thresholds the ordinary resolver's clients become "victims" too: thresholds matter
  assert.ok(loose.victims.length > 2);
});
