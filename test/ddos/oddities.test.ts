/**
 * IP header oddities written by scapy (test/ddos/lib/ipv-oddities.py), checked against tcpdump and
 * tshark on the same file: an IPv4 total length shorter than its header is not UDP; with an IPv6
 * routing header or a Home Address option the addresses are the ones tshark shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyzeCapture } from '../../src/ddos/index.js';
import { convUdp, convKey, tshark } from './lib/tshark.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hostops-oddities-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const py = spawnSync('/usr/bin/python3', [path.resolve('test/ddos/lib/ipv-oddities.py'), dir], {
  encoding: 'utf8',
  timeout: 120000,
});
if (py.error || py.status !== 0)
  throw new Error(
    `ipv-oddities.py failed (needs Debian's python3-scapy, scripts/apt-packages.txt): ${py.error?.message ?? py.stderr}`,
  );

test('IPv4 total length shorter than the header is malformed, not UDP (tcpdump: bad-len)', async () => {
  const file = path.join(dir, 'badlen.pcap');
  const td = spawnSync('tcpdump', ['-nr', file], { encoding: 'utf8' });
  if (td.error)
    throw new Error(`tcpdump is required (Debian package tcpdump): ${td.error.message}`);
  const badLen = td.stdout.split('\n').filter((l) => /IP bad-len 10/.test(l)).length;
  assert.equal(badLen, 10);
  const r = await analyzeCapture(file, { minPps: 1, minReflectors: 1, conversations: true });
  assert.equal(r.malformedPackets, badLen);
  const udp = tshark(['-r', file, '-Y', 'udp', '-T', 'fields', '-e', 'frame.number'])
    .trim()
    .split('\n').length;
  assert.equal(r.udpPackets, udp);
  assert.equal(r.conversations.count, convUdp(file).size);
  assert.equal(r.victims[0].packets, 20);
});

test('IPv6 routing headers and the Home Address option: the addresses tshark shows (final destination, home address)', async () => {
  const file = path.join(dir, 'ipv6-routing.pcap');
  const r = await analyzeCapture(file, { minPps: 1, minReflectors: 1, conversations: true });
  const ts = convUdp(file);
  assert.equal(r.conversations.count, ts.size);
  for (const c of r.udpConversations!)
    assert.ok(
      ts.get(convKey(c.addressA, c.portA, c.addressB, c.portB)),
      `tshark lacks ${c.addressA} <-> ${c.addressB}`,
    );
  // the victims are the final destinations, the reflector of the HAO packet its home address
  assert.deepEqual(r.victims.map((v) => v.address).sort(), [
    '2001:db8:50::5',
    '2001:db8:50::6',
    '2001:db8:50::7',
    '2001:db8:50::8',
    '2001:db8:50::9',
  ]);
  assert.equal(
    r.victims.find((v) => v.address === '2001:db8:50::8')!.topReflectors[0].address,
    '2001:db8:99::4',
  );
});

test('DNS answers to the victim ports 4789 and 6081 are DNS reflection, not VXLAN/GENEVE tunnels', async () => {
  const file = path.join(dir, 'port4789.pcap');
  const r = await analyzeCapture(file, { minPps: 1, minReflectors: 10, conversations: true });
  assert.deepEqual(r.encapsulations, {});
  assert.equal(r.victims.length, 1);
  assert.equal(r.victims[0].packets, 120);
  assert.equal(r.victims[0].vectors[0].protocol, 'dns');
  assert.equal(r.conversations.count, convUdp(file).size);
});
