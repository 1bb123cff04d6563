/**
 * Tunnelled and encapsulated captures (GRE, ERSPAN I/II/III, IP-in-IP, 6in4, 4in6, VXLAN, GENEVE,
 * MPLS, PPPoE, PPP, NFLOG) written by scapy (test/ddos/lib/tunnels.py), each with an NTP monlist
 * and a DNS reflection inside, checked against `tshark -z conv,udp` and `-z io,stat,0,udp` on the
 * same file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyzeCapture } from '../../src/ddos/index.js';
import { convKey, tshark, tsharkSize, type TsharkConv } from './lib/tshark.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hostops-tunnels-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Debian's python3-scapy writes the captures (the python3 first on PATH may lack it). */
function scapy(script: string, ...args: string[]): void {
  const r = spawnSync('/usr/bin/python3', [path.resolve('test/ddos/lib', script), ...args], {
    encoding: 'utf8',
    timeout: 120000,
  });
  if (r.error || r.status !== 0)
    throw new Error(
      `/usr/bin/python3 ${script} failed (needs Debian's python3-scapy, scripts/apt-packages.txt): ${r.error?.message ?? r.stderr}`,
    );
}

/** One tshark run: the UDP conversation table and the UDP frame/byte totals. */
function tsharkUdp(file: string): {
  convs: Map<string, TsharkConv>;
  frames: number;
  bytes: number;
} {
  const out = tshark(['-q', '-r', file, '-z', 'conv,udp', '-z', 'io,stat,0,udp']);
  const convs = new Map<string, TsharkConv>();
  const re =
    /^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+) (\d+ \w+)\s+(\d+) (\d+ \w+)\s+(\d+) (\d+ \w+)/;
  let frames = -1,
    bytes = -1;
  for (const line of out.split('\n')) {
    const m = re.exec(line);
    if (m) {
      const c = {
        a: m[1],
        pa: +m[2],
        b: m[3],
        pb: +m[4],
        framesBA: +m[5],
        bytesBA: m[6],
        framesAB: +m[7],
        bytesAB: m[8],
      };
      convs.set(convKey(c.a, c.pa, c.b, c.pb), c);
      continue;
    }
    const s = /^\|\s*[\d.]+ <> [\d.]+\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|/.exec(line);
    if (s) {
      frames = +s[1];
      bytes = +s[2];
    }
  }
  assert.ok(frames >= 0, `tshark io,stat total for ${file}`);
  return { convs, frames, bytes };
}

const KINDS: { kind: string; encap: string; outer?: [string, string]; v6?: boolean }[] = [
  { kind: 'gre', encap: 'gre', outer: ['198.18.0.1', '198.18.0.2'] },
  { kind: 'gre-key', encap: 'gre', outer: ['198.18.0.1', '198.18.0.2'] },
  { kind: 'gre-ipv6', encap: 'gre', outer: ['198.18.0.1', '198.18.0.2'], v6: true },
  { kind: 'erspan1', encap: 'erspan-1', outer: ['198.18.0.1', '198.18.0.2'] },
  { kind: 'erspan2', encap: 'erspan-2', outer: ['198.18.0.1', '198.18.0.2'] },
  { kind: 'erspan3', encap: 'erspan-3', outer: ['198.18.0.1', '198.18.0.2'] },
  { kind: 'erspan3-platform', encap: 'erspan-3', outer: ['198.18.0.1', '198.18.0.2'] },
  { kind: 'ipip', encap: 'ipip', outer: ['198.18.0.1', '198.18.0.2'] },
  { kind: '6in4', encap: '6in4', outer: ['198.18.0.1', '198.18.0.2'], v6: true },
  { kind: '4in6', encap: '4in6', outer: ['2001:db8:ff::1', '2001:db8:ff::2'] },
  { kind: 'vxlan', encap: 'vxlan', outer: ['198.18.0.1', '198.18.0.2'] },
  { kind: 'geneve', encap: 'geneve', outer: ['198.18.0.1', '198.18.0.2'] },
  { kind: 'mpls', encap: 'mpls' },
  { kind: 'mpls-ipv6', encap: 'mpls', v6: true },
  { kind: 'pppoe', encap: 'pppoe' },
  { kind: 'pppoe-ipv6', encap: 'pppoe', v6: true },
  { kind: 'ppp', encap: 'ppp' },
  { kind: 'nflog', encap: 'nflog' },
];

scapy('tunnels.py', dir);

for (const k of KINDS) {
  test(`${k.kind}: the reflection inside is found and counted as tshark counts it`, async () => {
    const file = path.join(dir, `${k.kind}.pcap`);
    const r = await analyzeCapture(file, { minPps: 100, minReflectors: 10, conversations: true });
    const ts = tsharkUdp(file);
    assert.equal(r.udpPackets, ts.frames, 'UDP frames (tshark -z io,stat,0,udp)');
    assert.equal(r.udpBytes, ts.bytes, 'UDP frame bytes');
    assert.equal(r.conversations.count, ts.convs.size, 'conversations (tshark -z conv,udp)');
    for (const c of r.udpConversations!) {
      const t = ts.convs.get(convKey(c.addressA, c.portA, c.addressB, c.portB));
      assert.ok(t, `tshark lacks ${c.addressA}:${c.portA} <-> ${c.addressB}:${c.portB}`);
      assert.equal(`${t.a}:${t.pa}`, `${c.addressA}:${c.portA}`);
      assert.equal(t.framesAB, c.framesAtoB);
      assert.equal(t.framesBA, c.framesBtoA);
      assert.equal(t.bytesAB, tsharkSize(c.bytesAtoB));
      assert.equal(t.bytesBA, tsharkSize(c.bytesBtoA));
    }
    const [ntpVictim, dnsVictim] = k.v6
      ? ['2001:db8:50::5', '2001:db8:60::6']
      : ['198.18.50.5', '198.18.60.6'];
    assert.deepEqual(
      r.victims.map((v) => v.address).sort(),
      [ntpVictim, dnsVictim].sort(),
      'the inner victims',
    );
    const ntp = r.victims.find((v) => v.address === ntpVictim)!;
    assert.equal(ntp.vectors[0].protocol, 'ntp');
    assert.equal(ntp.reflectors, 12);
    assert.equal(ntp.monlistPackets, 240);
    assert.equal(r.victims.find((v) => v.address === dnsVictim)!.vectors[0].protocol, 'dns');
    assert.equal(r.encapsulations[k.encap], 480, JSON.stringify(r.encapsulations));
    if (k.outer) {
      assert.equal(r.tunnels.length, 1);
      assert.deepEqual(r.tunnels[0], {
        kind: k.encap,
        outerSource: k.outer[0],
        outerDestination: k.outer[1],
        frames: 480,
        bytes: ts.bytes,
      });
    } else assert.equal(r.tunnels.length, 0);
  });
}
