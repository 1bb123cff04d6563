import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { analyzeCapture, type DdosReport } from '../../src/ddos/index.js';
import { CaptureWriter, frame, LINKTYPE, type Link } from './lib/pcap-writer.js';
import { scenarioFrames, writeScenario, NTP_VICTIM } from './lib/scenario.js';

const stream = (b: Buffer, size = 65536) => {
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
  return Readable.from(parts);
};
const summary = (r: DdosReport) => ({
  packets: r.packets,
  bytes: r.bytes,
  udp: r.udpPackets,
  udpBytes: r.udpBytes,
  conv: r.conversations,
  victims: r.victims.map((v) => [
    v.address,
    v.packets,
    v.bytes,
    v.reflectors,
    v.peakPps,
    v.monlistPackets,
  ]),
});

test('pcap µs/ns and pcapng in both byte orders and resolutions give identical results', async () => {
  const variants = [
    { format: 'pcap' as const },
    { format: 'pcap' as const, bigEndian: true },
    { format: 'pcap-ns' as const },
    { format: 'pcap-ns' as const, bigEndian: true },
    { format: 'pcapng' as const },
    { format: 'pcapng' as const, bigEndian: true },
    { format: 'pcapng' as const, tsresol: 9 },
    { format: 'pcapng' as const, tsresol: 0x80 | 20, bigEndian: true },
  ];
  let first: unknown;
  for (const v of variants) {
    const r = await analyzeCapture(stream(writeScenario(v)), { minPps: 500 });
    assert.equal(r.format, v.format);
    assert.equal(r.start, 1764000000);
    const s = summary(r);
    if (first === undefined) first = s;
    else assert.deepEqual(s, first, JSON.stringify(v));
  }
  assert.equal((first as { victims: unknown[] }).victims.length, 2);
});

test('every supported link type decodes to the same UDP counts', async () => {
  const links: Link[] = ['eth', 'vlan', 'qinq', 'sll', 'sll2', 'null', 'loop', 'raw', 'ipv4'];
  for (const link of links) {
    const w = new CaptureWriter({ format: 'pcap', linktype: LINKTYPE[link] });
    const frames = scenarioFrames(link).filter((f) => link !== 'ipv4' || f.data[0] >> 4 === 4);
    for (const f of frames) w.add(f.data, f.ts);
    const r = await analyzeCapture(stream(w.toBuffer()), { minPps: 500 });
    const extra = link === 'eth' ? 40 : 0; // the Ethernet scenario adds 20 TCP and 20 ARP frames
    assert.equal(r.packets, frames.length, link);
    assert.equal(r.udpPackets, frames.length - extra, link);
    assert.equal(r.nonIp, extra / 2, link);
    assert.equal(r.otherIp, extra / 2, link);
    assert.equal(r.unsupportedLinkPackets + r.shortPackets + r.malformedPackets, 0, link);
    assert.ok(
      r.victims.some((v) => v.address === NTP_VICTIM),
      link,
    );
  }
  const w6 = new CaptureWriter({ format: 'pcap', linktype: LINKTYPE.ipv6 });
  w6.add(
    frame({
      src: '2001:db8::1',
      dst: '2001:db8::2',
      sport: 123,
      dport: 9,
      payload: 48,
      link: 'ipv6',
    }),
    1,
  );
  const r6 = await analyzeCapture(stream(w6.toBuffer()));
  assert.equal(r6.ipv6, 1);
  assert.equal(r6.udpPackets, 1);
});

test('pcapng with several sections (byte order switching), interfaces and simple packet blocks', async () => {
  const w = new CaptureWriter({ format: 'pcapng', tsresol: 9 });
  const f = frame({ src: '198.18.1.1', dst: '198.18.2.2', sport: 123, dport: 80, payload: 440 });
  w.add(f, 10);
  const sll = w.iface(113, 6);
  w.add(
    frame({
      src: '198.18.1.1',
      dst: '198.18.2.2',
      sport: 123,
      dport: 80,
      payload: 440,
      link: 'sll',
    }),
    11,
    { iface: sll },
  );
  w.section(true); // big-endian section; interfaces start again
  w.iface(1, 3);
  w.add(f, 12);
  const r = await analyzeCapture(stream(w.toBuffer(), 7), { minPps: 1, minReflectors: 1 });
  assert.equal(r.packets, 3);
  assert.equal(r.udpPackets, 3);
  assert.equal(r.end, 12);
  assert.deepEqual(r.linktypes.sort(), [1, 113]);
  assert.equal(r.victims[0].packets, 3);

  const s = new CaptureWriter({ format: 'pcapng', spb: true });
  s.add(f, 0);
  s.add(f, 0, { caplen: 40, origlen: f.length });
  const rs = await analyzeCapture(stream(s.toBuffer()));
  assert.equal(rs.packets, 2);
  assert.equal(rs.udpPackets, 1);
  assert.equal(rs.shortPackets, 1, 'a 40-byte snap cannot hold the UDP header');
  assert.equal(rs.bytes, 2 * f.length, 'bytes count the length on the wire');
});

test('IPv4 fragments are counted with their datagram; orphans are counted apart', async () => {
  const w = new CaptureWriter({ format: 'pcap' });
  for (let i = 0; i < 20; i++) {
    const src = `198.18.3.${i + 1}`;
    // a 2,960-byte DNS answer in three fragments (1480 + 1480 + 8 of UDP header share)
    w.add(
      frame({
        src,
        dst: '198.18.9.9',
        sport: 53,
        dport: 777,
        payload: 1472,
        frag: { id: i, offset: 0, more: true },
      }),
      100 + i * 0.01,
    );
    w.add(
      frame({
        src,
        dst: '198.18.9.9',
        sport: 0,
        dport: 0,
        payload: 1480,
        frag: { id: i, offset: 1480, more: true },
      }),
      100 + i * 0.01 + 0.001,
    );
    w.add(
      frame({
        src,
        dst: '198.18.9.9',
        sport: 0,
        dport: 0,
        payload: 8,
        frag: { id: i, offset: 2960, more: false },
      }),
      100 + i * 0.01 + 0.002,
    );
  }
  w.add(
    frame({
      src: '198.18.4.4',
      dst: '198.18.9.9',
      sport: 0,
      dport: 0,
      payload: 100,
      frag: { id: 9, offset: 800, more: false },
    }),
    101,
  );
  const r = await analyzeCapture(stream(w.toBuffer()), { minPps: 50, minReflectors: 20 });
  assert.equal(r.fragments, 61);
  assert.equal(r.orphanFragments, 1);
  assert.equal(r.udpPackets, 60);
  assert.equal(r.conversations.count, 20);
  assert.equal(r.victims.length, 1);
  assert.equal(r.victims[0].packets, 60);
  assert.equal(r.victims[0].peakPps, 60);
});

test('tshark reads every format and link type we read, with the same UDP counts and times', async () => {
  const { tshark } = await import('./lib/tshark.js');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(tmpdir(), 'hostops-ddos-fmt-'));
  try {
    const cases: {
      name: string;
      opts: ConstructorParameters<typeof CaptureWriter>[0];
      link: Link;
    }[] = [
      { name: 'pcap-be', opts: { format: 'pcap', bigEndian: true }, link: 'eth' },
      { name: 'pcap-ns', opts: { format: 'pcap-ns' }, link: 'vlan' },
      {
        name: 'ng-be-2^-20',
        opts: { format: 'pcapng', bigEndian: true, tsresol: 0x80 | 20 },
        link: 'qinq',
      },
      { name: 'sll', opts: { format: 'pcap', linktype: LINKTYPE.sll }, link: 'sll' },
      {
        name: 'sll2',
        opts: { format: 'pcapng', linktype: LINKTYPE.sll2, tsresol: 9 },
        link: 'sll2',
      },
      { name: 'null', opts: { format: 'pcap', linktype: LINKTYPE.null }, link: 'null' },
      { name: 'loop', opts: { format: 'pcap', linktype: LINKTYPE.loop }, link: 'loop' },
      { name: 'raw', opts: { format: 'pcap', linktype: LINKTYPE.raw }, link: 'raw' },
    ];
    for (const c of cases) {
      const w = new CaptureWriter(c.opts);
      const frames = scenarioFrames(c.link).filter((_, i) => i % 20 === 0);
      for (const f of frames) w.add(f.data, f.ts);
      const file = path.join(dir, `${c.name}.cap`);
      writeFileSync(file, w.toBuffer());
      const r = await analyzeCapture(file, { minPps: 1e9 });
      const rows = tshark([
        '-r',
        file,
        '-Y',
        'udp',
        '-T',
        'fields',
        '-e',
        'frame.time_epoch',
        '-e',
        'frame.len',
      ])
        .trim()
        .split('\n');
      assert.equal(r.udpPackets, rows.length, c.name);
      assert.equal(
        r.udpBytes,
        rows.reduce((s, l) => s + Number(l.split('\t')[1]), 0),
        c.name,
      );
      assert.ok(
        Math.abs(Number(rows[0].split('\t')[0]) - r.start!) < 1e-5,
        `${c.name}: first timestamp`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('IPv6 fragment and extension headers are walked to the UDP header', async () => {
  const { v6bytes } = await import('./lib/pcap-writer.js');
  const src = Buffer.from(v6bytes('2001:db8::53')),
    dst = Buffer.from(v6bytes('2001:db8::99'));
  const v6 = (nh: number, body: Buffer) => {
    const h = Buffer.alloc(40);
    h[0] = 0x60;
    h.writeUInt16BE(body.length, 4);
    h[6] = nh;
    h[7] = 64;
    src.copy(h, 8);
    dst.copy(h, 24);
    return Buffer.concat([h, body]);
  };
  const frag = (next: number, offset: number, more: boolean, id: number) => {
    const f = Buffer.alloc(8);
    f[0] = next;
    f.writeUInt16BE((offset << 3) | (more ? 1 : 0), 2);
    f.writeUInt32BE(id, 4);
    return f;
  };
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(53, 0);
  udp.writeUInt16BE(4444, 2);
  udp.writeUInt16BE(8 + 2000, 4);
  const hop = Buffer.from([44, 0, 1, 4, 0, 0, 0, 0]); // hop-by-hop, next = fragment
  const w = new CaptureWriter({ format: 'pcap', linktype: LINKTYPE.ipv6 });
  for (let id = 1; id <= 3; id++) {
    w.add(v6(0, Buffer.concat([hop, frag(17, 0, true, id), udp, Buffer.alloc(1200)])), id);
    w.add(v6(44, Buffer.concat([frag(17, 151, false, id), Buffer.alloc(800)])), id + 0.1);
  }
  w.add(v6(44, Buffer.concat([frag(17, 151, false, 99), Buffer.alloc(800)])), 5);
  const r = await analyzeCapture(stream(w.toBuffer()), { minPps: 1, minReflectors: 1 });
  assert.equal(r.ipv6, 7);
  assert.equal(r.fragments, 7);
  assert.equal(r.orphanFragments, 1);
  assert.equal(r.udpPackets, 6);
  assert.equal(r.conversations.count, 1);
  assert.equal(r.victims[0].address, '2001:db8::99');
  assert.equal(r.victims[0].vectors[0].protocol, 'dns');
  assert.equal(r.victims[0].packets, 6);
});

test('past maxConversations, conversations stop being tracked but attacks are still measured in full', async () => {
  const buf = writeScenario({ format: 'pcap' });
  const full = await analyzeCapture(stream(buf), { minPps: 500 });
  const capped = await analyzeCapture(stream(buf), { minPps: 500, maxConversations: 5 });
  assert.equal(capped.conversations.count, 5);
  assert.ok(capped.conversations.untrackedPackets > 10000);
  assert.equal(full.conversations.untrackedPackets, 0);
  assert.deepEqual(summary(capped).victims, summary(full).victims);
});
