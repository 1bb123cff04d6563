/**
 * NTP wire formats: mode 3/4 (RFC 5905 §7.3), mode 6 control (RFC 1305 App. B) and mode 7
 * private (ntpd's ntp_request.h). Decoders never trust lengths from the wire: every read is
 * bounds-checked and a short or malformed datagram yields null, never an exception.
 */

/** Seconds between 1900-01-01 (NTP era 0) and 1970-01-01 (Unix). */
export const NTP_UNIX_DELTA = 2208988800;

export const MODE = { client: 3, server: 4, control: 6, private: 7 } as const;

/** Kiss codes whose meaning is "stop or slow down" (RFC 5905 §7.4). */
export const KISS_CODES = [
  'RATE',
  'DENY',
  'RSTR',
  'INIT',
  'STEP',
  'AUTH',
  'AUTO',
  'BCST',
  'CRYP',
  'DROP',
  'MCST',
  'NKEY',
  'NTSN',
  'RMOT',
];

export interface ServerPacket {
  leap: number;
  version: number;
  mode: number;
  stratum: number;
  poll: number;
  precision: number;
  rootDelay: number;
  rootDispersion: number;
  refidRaw: number;
  reference: number;
  origin: number;
  receive: number;
  transmit: number;
  /** Raw 8-byte origin timestamp, compared bit for bit with what we sent. */
  originRaw: Buffer;
}

/** Unix seconds (float) → 8-byte NTP timestamp. */
export function toNtpTimestamp(unix: number, out: Buffer = Buffer.alloc(8), off = 0): Buffer {
  const t = unix + NTP_UNIX_DELTA;
  const sec = Math.floor(t);
  const frac = Math.floor((t - sec) * 0x100000000);
  out.writeUInt32BE(sec >>> 0, off);
  out.writeUInt32BE(Math.min(frac, 0xffffffff) >>> 0, off + 4);
  return out;
}

/** 8-byte NTP timestamp → Unix seconds (era 0, 1900-2036). 0 stays 0. */
export function fromNtpTimestamp(buf: Buffer, off: number): number {
  const sec = buf.readUInt32BE(off);
  const frac = buf.readUInt32BE(off + 4);
  if (sec === 0 && frac === 0) return 0;
  return sec - NTP_UNIX_DELTA + frac / 0x100000000;
}

/** A 48-byte mode 3 request, VN 4, transmit timestamp = `xmt` (so the reply's origin can be matched). */
export function buildClientRequest(xmt: Buffer, version = 4): Buffer {
  const b = Buffer.alloc(48);
  b[0] = (0 << 6) | (version << 3) | MODE.client;
  xmt.copy(b, 40, 0, 8);
  return b;
}

export function parseServerPacket(buf: Buffer): ServerPacket | null {
  if (buf.length < 48) return null;
  const mode = buf[0] & 7;
  return {
    leap: buf[0] >> 6,
    version: (buf[0] >> 3) & 7,
    mode,
    stratum: buf[1],
    poll: buf.readInt8(2),
    precision: buf.readInt8(3),
    rootDelay: buf.readUInt32BE(4) / 65536,
    rootDispersion: buf.readUInt32BE(8) / 65536,
    refidRaw: buf.readUInt32BE(12),
    reference: fromNtpTimestamp(buf, 16),
    origin: fromNtpTimestamp(buf, 24),
    receive: fromNtpTimestamp(buf, 32),
    transmit: fromNtpTimestamp(buf, 40),
    originRaw: Buffer.from(buf.subarray(24, 32)),
  };
}

/** Refid as people read it: ASCII for stratum 0/1 (kiss code or clock name), dotted IPv4 above. */
export function formatRefid(stratum: number, raw: number): string {
  if (stratum <= 1) {
    let s = '';
    for (let i = 3; i >= 0; i--) {
      const c = (raw >>> (i * 8)) & 0xff;
      if (c === 0) break;
      s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
    }
    return s;
  }
  return [raw >>> 24, (raw >>> 16) & 0xff, (raw >>> 8) & 0xff, raw & 0xff].join('.');
}

// ---- mode 6 -------------------------------------------------------------------------------

export const CTL_OP = { readstat: 1, readvar: 2, reqNonce: 12 } as const;

/** 12-byte mode 6 request, VN 2 (what ntpq and nmap ntp-info send). */
export function buildControlRequest(opcode: number, sequence = 1, version = 2): Buffer {
  const b = Buffer.alloc(12);
  b[0] = (version << 3) | MODE.control;
  b[1] = opcode & 0x1f;
  b.writeUInt16BE(sequence & 0xffff, 2);
  return b;
}

export interface ControlReply {
  response: boolean;
  error: boolean;
  more: boolean;
  opcode: number;
  sequence: number;
  status: number;
  associd: number;
  offset: number;
  count: number;
  /** Error code from the high byte of status when the E bit is set. */
  errorCode: number | null;
  data: Buffer;
}

export function parseControlReply(buf: Buffer): ControlReply | null {
  if (buf.length < 12 || (buf[0] & 7) !== MODE.control) return null;
  const count = buf.readUInt16BE(10);
  const error = (buf[1] & 0x40) !== 0;
  const status = buf.readUInt16BE(4);
  return {
    response: (buf[1] & 0x80) !== 0,
    error,
    more: (buf[1] & 0x20) !== 0,
    opcode: buf[1] & 0x1f,
    sequence: buf.readUInt16BE(2),
    status,
    associd: buf.readUInt16BE(6),
    offset: buf.readUInt16BE(8),
    count,
    errorCode: error ? status >> 8 : null,
    data: Buffer.from(buf.subarray(12, 12 + Math.min(count, 468, buf.length - 12))),
  };
}

// ---- mode 7 -------------------------------------------------------------------------------

export const IMPL = { univ: 0, xntpdOld: 2, xntpd: 3 } as const;
export const REQ = { peerList: 0, monGetlist: 20, monGetlist1: 42 } as const;
export const MODE7_ERR: Record<number, string> = {
  0: 'ok',
  1: 'incompatible implementation',
  2: 'unimplemented request',
  3: 'format error',
  4: 'no data available',
  7: 'authentication failure',
};

/**
 * Mode 7 request: `17 00 <impl> <code>` + zeros. Sizes: 8 (minimal accepted by ntpd), 48 (nmap
 * ntp-monlist), 192 (ntpdc / zmap ntp_123_monlist.pkt, a 234-byte Ethernet frame).
 */
export function buildPrivateRequest(impl: number, code: number, size = 48, version = 2): Buffer {
  const b = Buffer.alloc(Math.max(8, size));
  b[0] = (version << 3) | MODE.private;
  b[1] = 0;
  b[2] = impl;
  b[3] = code;
  return b;
}

export interface PrivateReply {
  response: boolean;
  more: boolean;
  version: number;
  sequence: number;
  impl: number;
  code: number;
  err: number;
  nitems: number;
  itemsize: number;
  data: Buffer;
}

export function parsePrivateReply(buf: Buffer): PrivateReply | null {
  if (buf.length < 8 || (buf[0] & 7) !== MODE.private) return null;
  const en = buf.readUInt16BE(4);
  const mi = buf.readUInt16BE(6);
  return {
    response: (buf[0] & 0x80) !== 0,
    more: (buf[0] & 0x40) !== 0,
    version: (buf[0] >> 3) & 7,
    sequence: buf[1] & 0x7f,
    impl: buf[2],
    code: buf[3],
    err: en >> 12,
    nitems: en & 0xfff,
    itemsize: mi & 0xfff,
    data: Buffer.from(buf.subarray(8, Math.min(buf.length, 8 + 500))),
  };
}

export interface MonlistEntry {
  address: string;
  localAddress?: string;
  port: number;
  mode: number;
  version: number;
  count: number;
  avgInterval: number;
  lastInterval: number;
  restrict: number;
}

const ipv4 = (b: Buffer, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
function ipv6(b: Buffer, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(o + i).toString(16));
  return parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/**
 * Monitor-list items from one reply. Layouts (ntp_request.h): code 42 `info_monitor_1` 72 bytes
 * (32-byte v4 prefix for IMPL_XNTPD_OLD); code 20 `info_monitor` 48 bytes (24-byte v4 prefix).
 * Items whose size or count disagree with the datagram are dropped, never read past the end.
 */
export function decodeMonlistItems(r: PrivateReply): MonlistEntry[] {
  const out: MonlistEntry[] = [];
  const size = r.itemsize;
  if (r.err !== 0 || size < 24 || r.nitems * size > r.data.length) return out;
  for (let i = 0; i < r.nitems; i++) {
    const o = i * size;
    const d = r.data;
    if (r.code === REQ.monGetlist1 && size >= 32) {
      const v6 = size >= 72 && d.readUInt32BE(o + 32) !== 0;
      out.push({
        avgInterval: d.readUInt32BE(o),
        lastInterval: d.readUInt32BE(o + 4),
        restrict: d.readUInt32BE(o + 8),
        count: d.readUInt32BE(o + 12),
        address: v6 ? ipv6(d, o + 40) : ipv4(d, o + 16),
        localAddress: v6 ? ipv6(d, o + 56) : ipv4(d, o + 20),
        port: d.readUInt16BE(o + 28),
        mode: d[o + 30],
        version: d[o + 31],
      });
    } else if (r.code === REQ.monGetlist) {
      // info_monitor: avg_int, last_int, restr, count, addr, port (u16), mode, version, v6_flag, unused1, addr6
      const v6 = size >= 48 && d.readUInt32BE(o + 24) !== 0;
      out.push({
        avgInterval: d.readUInt32BE(o),
        lastInterval: d.readUInt32BE(o + 4),
        restrict: d.readUInt32BE(o + 8),
        count: d.readUInt32BE(o + 12),
        address: v6 ? ipv6(d, o + 32) : ipv4(d, o + 16),
        port: d.readUInt16BE(o + 20),
        mode: d[o + 22],
        version: d[o + 23],
      });
    }
  }
  return out;
}
