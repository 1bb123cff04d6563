/**
 * NTP mode 7 replies from real ntpd, byte for byte (test/fixtures/ntp/README.md names the sources):
 * a MON_GETLIST_1 (monlist) reply of 6 entries from scapy's test vectors, and tcpdump's capture of
 * four ntpdc requests and their replies. Decoded by our parser and checked against tshark's
 * dissection of the same file; amplification factors against tshark's lengths. The fake ntpd of
 * the other tests is ours, so it cannot tell a shared misreading of the format.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { packet } from '../../src/ntp/index.js';
import { amplification } from '../../src/ntp/factor.js';
import { tshark } from '../ddos/lib/tshark.js';

const dir = path.resolve('test/fixtures/ntp');
const MONLIST = path.join(dir, 'scapy-monlist.pcap');
const MODE7 = path.join(dir, 'tcpdump-ntp-mode7.pcap');

interface Frame {
  len: number;
  sport: number;
  dport: number;
  payload: Buffer;
}

/** UDP payloads of a little-endian µs pcap of Ethernet/IPv4 frames (what both fixtures are). */
function frames(file: string): Frame[] {
  const b = readFileSync(file);
  assert.equal(b.readUInt32LE(0), 0xa1b2c3d4);
  assert.equal(b.readUInt32LE(20), 1); // LINKTYPE_ETHERNET
  const out: Frame[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const cap = b.readUInt32LE(o + 8),
      len = b.readUInt32LE(o + 12),
      f = o + 16;
    assert.equal(b.readUInt16BE(f + 12), 0x0800);
    const ip = f + 14,
      udp = ip + (b[ip] & 15) * 4;
    assert.equal(b[ip + 9], 17);
    out.push({
      len,
      sport: b.readUInt16BE(udp),
      dport: b.readUInt16BE(udp + 2),
      payload: b.subarray(udp + 8, udp + b.readUInt16BE(udp + 4)),
    });
    o = f + cap;
  }
  return out;
}

const HEADER = [
  'frame.len',
  'udp.length',
  'ntp.priv.flags.r',
  'ntp.priv.flags.more',
  'ntp.priv.impl',
  'ntp.priv.reqcode',
  'ntp.priv.err',
  'ntp.priv.numitems',
  'ntp.priv.itemsize',
];
const ITEM = [
  'ntp.priv.monlist.avgint',
  'ntp.priv.monlist.lsint',
  'ntp.priv.monlist.restr',
  'ntp.priv.monlist.count',
  'ntp.priv.monlist.remote_address',
  'ntp.priv.monlist.local_address',
  'ntp.priv.monlist.port',
  'ntp.priv.monlist.mode',
  'ntp.priv.monlist.version',
];

/** tshark's fields, one row per frame, one array per field (every occurrence). */
function dissect(file: string, fields: string[]): string[][][] {
  const out = tshark([
    '-r',
    file,
    '-T',
    'fields',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=,',
    ...fields.flatMap((f) => ['-e', f]),
  ]);
  return out
    .trimEnd()
    .split('\n')
    .map((l) => l.split('\t').map((v) => (v === '' ? [] : v.split(','))));
}

test('a real monlist reply: header and all six entries decode as tshark decodes them', () => {
  const fs = frames(MONLIST);
  const ts = dissect(MONLIST, [...HEADER, ...ITEM]);
  assert.equal(fs.length, 2);
  assert.equal(ts.length, 2);
  const req = packet.parsePrivateReply(fs[0].payload)!;
  const rep = packet.parsePrivateReply(fs[1].payload)!;
  for (const [i, r] of [req, rep].entries()) {
    const h = ts[i].slice(0, HEADER.length).map((v) => Number(v[0]));
    assert.deepEqual(
      [
        fs[i].len,
        fs[i].payload.length + 8,
        Number(r.response),
        Number(r.more),
        r.impl,
        r.code,
        r.err,
        r.nitems,
        r.itemsize,
      ],
      h,
      `frame ${i + 1}`,
    );
  }
  assert.deepEqual([rep.code, rep.nitems, rep.itemsize], [packet.REQ.monGetlist1, 6, 72]);
  const items = packet.decodeMonlistItems(rep);
  const cols = ts[1].slice(HEADER.length);
  const theirs = items.map((_, k) => cols.map((c) => c[k]));
  const ours = items.map((e) => [
    e.avgInterval,
    e.lastInterval,
    e.restrict,
    e.count,
    e.address,
    e.localAddress,
    e.port,
    e.mode,
    e.version,
  ]);
  assert.equal(ours.length, 6);
  assert.deepEqual(
    ours,
    theirs.map((t) => t.map((v, j) => (j === 4 || j === 5 ? v : Number(v)))),
  );
  // the values themselves, so that a tshark that printed nothing could not pass
  assert.deepEqual(ours[0], [59, 59, 0x1d0, 1, '148.109.119.233', '192.168.122.103', 123, 3, 4]);
});

test("the monlist amplification factor of the real pair, at both layers, from tshark's lengths", () => {
  const [req, rep] = frames(MONLIST);
  const ts = dissect(MONLIST, ['frame.len', 'udp.length']).map((r) => r.map((v) => Number(v[0])));
  const a = amplification([req.payload.length], [rep.payload.length]);
  assert.deepEqual([a.requestBytes, a.replyBytes], [ts[0][1] - 8, ts[1][1] - 8]);
  assert.deepEqual([a.requestFrameBytes, a.replyFrameBytes], [ts[0][0], ts[1][0]]);
  assert.equal(a.factor, Math.round(((ts[1][1] - 8) / (ts[0][1] - 8)) * 100) / 100);
  assert.equal(a.frameFactor, Math.round((ts[1][0] / ts[0][0]) * 100) / 100);
  assert.deepEqual([a.requestBytes, a.replyBytes, a.factor, a.frameFactor], [192, 440, 2.29, 2.06]);
});

test("tcpdump's real ntpdc exchange: every mode 7 header as tshark reads it, no monlist entries from other codes", () => {
  const fs = frames(MODE7);
  const ts = dissect(MODE7, HEADER);
  assert.equal(fs.length, 8);
  assert.equal(ts.length, 8);
  for (const [i, f] of fs.entries()) {
    const r = packet.parsePrivateReply(f.payload)!;
    assert.ok(r, `frame ${i + 1}`);
    assert.deepEqual(
      [
        f.len,
        f.payload.length + 8,
        Number(r.response),
        Number(r.more),
        r.impl,
        r.code,
        r.err,
        r.nitems,
        r.itemsize,
      ],
      ts[i].map((v) => Number(v[0])),
      `frame ${i + 1}`,
    );
    // AUTHINFO, IO_STATS, KERNEL_INFO and PEER_LIST_SUM (6 x 72 bytes, as a monlist): not a monitor list
    assert.deepEqual(packet.decodeMonlistItems(r), [], `frame ${i + 1}`);
  }
  assert.deepEqual(
    ts.map((r) => Number(r[5][0])),
    [28, 28, 8, 8, 38, 38, 1, 1],
  );
});

test('ddos analyze counts the monlist reply of the real capture and no other mode 7 reply, as tshark does', () => {
  const count = (file: string) => {
    const r = spawnSync(
      process.execPath,
      [
        'bin/hostops.js',
        'ddos',
        'analyze',
        file,
        '--json',
        '--min-pps',
        '0',
        '--min-reflectors',
        '1',
      ],
      { encoding: 'utf8' },
    );
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const v = JSON.parse(r.stdout).victims as { monlistPackets: number; bytes: number }[];
    return [v.reduce((n, x) => n + x.monlistPackets, 0), v.reduce((n, x) => n + x.bytes, 0)];
  };
  // monlist replies (code 42 or 20 from port 123, response bit) and the bytes of all replies
  const theirs = (file: string) => {
    const rows = dissect(file, [
      'udp.srcport',
      'ntp.priv.flags.r',
      'ntp.priv.reqcode',
      'frame.len',
    ]).map((r) => r.map((v) => Number(v[0])));
    const replies = rows.filter((r) => r[0] === 123 && r[1] === 1);
    return [
      replies.filter((r) => r[2] === 42 || r[2] === 20).length,
      replies.reduce((n, r) => n + r[3], 0),
    ];
  };
  assert.deepEqual(count(MONLIST), theirs(MONLIST));
  assert.deepEqual(count(MONLIST), [1, 482]);
  assert.deepEqual(count(MODE7), theirs(MODE7));
  assert.deepEqual(count(MODE7)[0], 0);
});
