/**
 * Test-side capture writer: builds UDP frames (Ethernet, VLAN, SLL, SLL2, BSD null, raw IP; IPv4
 * or IPv6; IPv4 fragments) and writes pcap (µs/ns, either byte order) or pcapng (either byte
 * order, chosen if_tsresol, several sections and interfaces, EPB or SPB).
 */
import { isIPv4 } from 'node:net';

export type Link =
  | 'eth'
  | 'vlan'
  | 'qinq'
  | 'sll'
  | 'sll2'
  | 'null'
  | 'loop'
  | 'raw'
  | 'ipv4'
  | 'ipv6';
export const LINKTYPE: Record<Link, number> = {
  eth: 1,
  vlan: 1,
  qinq: 1,
  sll: 113,
  sll2: 276,
  null: 0,
  loop: 108,
  raw: 101,
  ipv4: 228,
  ipv6: 229,
};

export function v4bytes(a: string): number[] {
  return a.split('.').map(Number);
}
export function v6bytes(a: string): number[] {
  const [h, t] = a.includes('::') ? a.split('::') : [a, ''];
  const hs = h ? h.split(':') : [],
    ts = t ? t.split(':') : [];
  const groups = [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts].map((g) =>
    parseInt(g, 16),
  );
  return groups.flatMap((g) => [g >> 8, g & 255]);
}

function ipChecksum(b: Buffer, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i] << 8) | b[off + i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface UdpSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Buffer | number;
  link?: Link;
  /** IPv4 fragment: this frame carries payload bytes [offset, offset+len) of a datagram of udpTotal. */
  frag?: { id: number; offset: number; more: boolean };
  ipId?: number;
}

/** The IP packet (no link header). For a later fragment `payload` is the raw fragment data. */
export function ipPacket(s: UdpSpec): Buffer {
  const pay = typeof s.payload === 'number' ? Buffer.alloc(s.payload, 0x41) : s.payload;
  if (isIPv4(s.src)) {
    const later = s.frag && s.frag.offset > 0;
    const udp = later ? Buffer.alloc(0) : Buffer.alloc(8);
    if (!later) {
      udp.writeUInt16BE(s.sport, 0);
      udp.writeUInt16BE(s.dport, 2);
      udp.writeUInt16BE(8 + pay.length, 4);
      udp.writeUInt16BE(0, 6);
    }
    const h = Buffer.alloc(20);
    h[0] = 0x45;
    h.writeUInt16BE(20 + udp.length + pay.length, 2);
    h.writeUInt16BE(s.frag?.id ?? s.ipId ?? 0, 4);
    if (s.frag) h.writeUInt16BE((s.frag.more ? 0x2000 : 0) | (s.frag.offset >> 3), 6);
    h[8] = 64;
    h[9] = 17;
    Buffer.from(v4bytes(s.src)).copy(h, 12);
    Buffer.from(v4bytes(s.dst)).copy(h, 16);
    h.writeUInt16BE(ipChecksum(h, 0, 20), 10);
    return Buffer.concat([h, udp, pay]);
  }
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(s.sport, 0);
  udp.writeUInt16BE(s.dport, 2);
  udp.writeUInt16BE(8 + pay.length, 4);
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(8 + pay.length, 4);
  h[6] = 17;
  h[7] = 64;
  Buffer.from(v6bytes(s.src)).copy(h, 8);
  Buffer.from(v6bytes(s.dst)).copy(h, 24);
  // checksum over the pseudo-header (IPv6 UDP requires one)
  const ph = Buffer.concat([
    h.subarray(8, 40),
    Buffer.from([0, 0, (8 + pay.length) >> 8, (8 + pay.length) & 255, 0, 0, 0, 17]),
    udp,
    pay,
  ]);
  const padded = ph.length % 2 ? Buffer.concat([ph, Buffer.alloc(1)]) : ph;
  let c = ipChecksum(padded, 0, padded.length);
  if (c === 0) c = 0xffff;
  udp.writeUInt16BE(c, 6);
  return Buffer.concat([h, udp, pay]);
}

export function frame(s: UdpSpec): Buffer {
  const ip = ipPacket(s);
  const v6 = !isIPv4(s.src);
  const et = v6 ? 0x86dd : 0x0800;
  const link = s.link ?? 'eth';
  const mac = Buffer.from([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]);
  const u16 = (n: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    return b;
  };
  switch (link) {
    case 'eth':
      return Buffer.concat([mac, u16(et), ip]);
    case 'vlan':
      return Buffer.concat([mac, u16(0x8100), u16(100), u16(et), ip]);
    case 'qinq':
      return Buffer.concat([mac, u16(0x88a8), u16(10), u16(0x8100), u16(100), u16(et), ip]);
    case 'sll':
      return Buffer.concat([u16(0), u16(1), u16(6), mac.subarray(0, 6), u16(0), u16(et), ip]);
    case 'sll2':
      return Buffer.concat([
        u16(et),
        u16(0),
        Buffer.from([0, 0, 0, 2]),
        u16(1),
        Buffer.from([0, 6]),
        mac.subarray(0, 6),
        u16(0),
        ip,
      ]);
    case 'null': {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(v6 ? 30 : 2);
      return Buffer.concat([b, ip]);
    }
    case 'loop': {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(v6 ? 30 : 2);
      return Buffer.concat([b, ip]);
    }
    default:
      return ip;
  }
}

export interface WriterOptions {
  format: 'pcap' | 'pcap-ns' | 'pcapng';
  bigEndian?: boolean;
  linktype?: number;
  snaplen?: number;
  /** pcapng if_tsresol byte (6 = µs, 9 = ns, 0x80|n = 2^-n); default 6. */
  tsresol?: number;
  /** pcapng: write simple packet blocks (no timestamps). */
  spb?: boolean;
}

export class CaptureWriter {
  private parts: Buffer[] = [];
  private le: boolean;
  private ifaces: { linktype: number; tsresol: number; snaplen: number }[] = [];
  constructor(private o: WriterOptions) {
    this.le = !o.bigEndian;
    if (o.format === 'pcapng') {
      this.section();
      this.iface(o.linktype ?? 1, o.tsresol ?? 6, o.snaplen ?? 262144);
    } else {
      const h = Buffer.alloc(24);
      const w32 = (v: number, at: number) =>
        this.le ? h.writeUInt32LE(v >>> 0, at) : h.writeUInt32BE(v >>> 0, at);
      const w16 = (v: number, at: number) =>
        this.le ? h.writeUInt16LE(v, at) : h.writeUInt16BE(v, at);
      w32(o.format === 'pcap-ns' ? 0xa1b23c4d : 0xa1b2c3d4, 0);
      w16(2, 4);
      w16(4, 6);
      w32(0, 8);
      w32(0, 12);
      w32(o.snaplen ?? 262144, 16);
      w32(o.linktype ?? 1, 20);
      this.parts.push(h);
    }
  }

  private block(type: number, body: Buffer): void {
    const pad = (4 - (body.length % 4)) % 4;
    const len = 12 + body.length + pad;
    const b = Buffer.alloc(len);
    const w32 = (v: number, at: number) =>
      this.le ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at);
    w32(type, 0);
    w32(len, 4);
    body.copy(b, 8);
    w32(len, len - 4);
    this.parts.push(b);
  }

  /** Start a new pcapng section (interfaces reset). */
  section(bigEndian = !this.le): void {
    this.le = !bigEndian;
    const body = Buffer.alloc(16);
    if (this.le) {
      body.writeUInt32LE(0x1a2b3c4d, 0);
      body.writeUInt16LE(1, 4);
      body.writeUInt16LE(0, 6);
    } else {
      body.writeUInt32BE(0x1a2b3c4d, 0);
      body.writeUInt16BE(1, 4);
      body.writeUInt16BE(0, 6);
    }
    body.writeInt32LE(-1, 8);
    body.writeInt32LE(-1, 12);
    this.block(0x0a0d0d0a, body);
    this.ifaces = [];
  }

  /** Add a pcapng interface; returns its id. */
  iface(linktype: number, tsresol = 6, snaplen = 262144): number {
    const opts: Buffer[] = [];
    const opt = (code: number, val: Buffer) => {
      const h = Buffer.alloc(4);
      if (this.le) {
        h.writeUInt16LE(code, 0);
        h.writeUInt16LE(val.length, 2);
      } else {
        h.writeUInt16BE(code, 0);
        h.writeUInt16BE(val.length, 2);
      }
      opts.push(h, val, Buffer.alloc((4 - (val.length % 4)) % 4));
    };
    opt(2, Buffer.from(`if${this.ifaces.length}`));
    if (tsresol !== 6) opt(9, Buffer.from([tsresol]));
    opt(0, Buffer.alloc(0));
    const head = Buffer.alloc(8);
    if (this.le) {
      head.writeUInt16LE(linktype, 0);
      head.writeUInt32LE(snaplen, 4);
    } else {
      head.writeUInt16BE(linktype, 0);
      head.writeUInt32BE(snaplen, 4);
    }
    this.block(1, Buffer.concat([head, ...opts]));
    this.ifaces.push({ linktype, tsresol, snaplen });
    return this.ifaces.length - 1;
  }

  /** Add a frame captured at `ts` (epoch seconds); snap to caplen bytes, origlen defaults to its length. */
  add(
    data: Buffer,
    ts: number,
    opts: { iface?: number; caplen?: number; origlen?: number } = {},
  ): void {
    const orig = opts.origlen ?? data.length;
    const cap = Math.min(opts.caplen ?? data.length, data.length);
    const d = data.subarray(0, cap);
    if (this.o.format !== 'pcapng') {
      const h = Buffer.alloc(16);
      const sec = Math.floor(ts);
      const frac =
        this.o.format === 'pcap-ns' ? Math.round((ts - sec) * 1e9) : Math.round((ts - sec) * 1e6);
      const w32 = (v: number, at: number) =>
        this.le ? h.writeUInt32LE(v >>> 0, at) : h.writeUInt32BE(v >>> 0, at);
      w32(sec, 0);
      w32(frac, 4);
      w32(cap, 8);
      w32(orig, 12);
      this.parts.push(h, d);
      return;
    }
    const ifid = opts.iface ?? 0;
    if (this.o.spb) {
      const h = Buffer.alloc(4);
      if (this.le) h.writeUInt32LE(orig);
      else h.writeUInt32BE(orig);
      this.block(3, Buffer.concat([h, d]));
      return;
    }
    const r = this.ifaces[ifid].tsresol;
    const units = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
    const t =
      BigInt(Math.floor(ts)) * BigInt(units) + BigInt(Math.round((ts - Math.floor(ts)) * units));
    const h = Buffer.alloc(20);
    const w32 = (v: number, at: number) =>
      this.le ? h.writeUInt32LE(v >>> 0, at) : h.writeUInt32BE(v >>> 0, at);
    w32(ifid, 0);
    w32(Number(t >> 32n), 4);
    w32(Number(t & 0xffffffffn), 8);
    w32(cap, 12);
    w32(orig, 16);
    this.block(6, Buffer.concat([h, d]));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A byte-exact ntpd 4.2.6p5 monlist response packet (impl 3, code 42): 8-byte header + 6 × 72-byte items. */
export function monlistPayload(seq: number, last: boolean, items = 6): Buffer {
  const b = Buffer.alloc(8 + items * 72);
  b[0] = last ? 0x97 : 0xd7;
  b[1] = seq & 0x7f;
  b[2] = 3;
  b[3] = 42;
  b.writeUInt16BE(items & 0xfff, 4);
  b.writeUInt16BE(72, 6);
  for (let i = 0; i < items; i++) {
    const o = 8 + i * 72;
    b.writeUInt32BE(1, o + 12); // count
    b.writeUInt32BE(0xc6120000 + seq * 6 + i, o + 16); // remote addr
    b.writeUInt16BE(123, o + 28);
    b[o + 30] = 3;
    b[o + 31] = 4;
  }
  return b;
}
