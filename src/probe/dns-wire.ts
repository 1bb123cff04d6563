/** DNS messages (RFC 1035 §4): a one-question query, and a response's header and answer records, with name compression. */

export const TYPES: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  CAA: 257,
};
const TYPE_NAMES = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k]));
export const RCODES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];

export interface DnsRecord {
  name: string;
  type: string;
  ttl: number;
  data: string;
}
export interface DnsResponse {
  id: number;
  rcode: string;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  questions: number;
  answers: DnsRecord[];
  authority: number;
  additional: number;
}

export class DnsWireError extends Error {}

export function encodeQuery(id: number, name: string, type: number, rd = true): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l !== '');
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new DnsWireError(`label longer than 63 bytes: ${l}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  const qname = Buffer.concat(parts);
  if (qname.length > 255) throw new DnsWireError('name longer than 255 bytes');
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(rd ? 0x0100 : 0, 2);
  h.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(1, 2); // IN
  return Buffer.concat([h, qname, tail]);
}

/** A name at `off`; follows compression pointers (at most 64, each to an earlier offset, so it ends). */
export function readName(buf: Buffer, off: number): { name: string; next: number } {
  const labels: string[] = [];
  let next = -1,
    pos = off,
    jumps = 0,
    len = 0;
  for (;;) {
    if (pos >= buf.length) throw new DnsWireError('name runs past the message');
    const b = buf[pos];
    if ((b & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new DnsWireError('truncated compression pointer');
      const target = ((b & 0x3f) << 8) | buf[pos + 1];
      if (next < 0) next = pos + 2;
      if (target >= pos || ++jumps > 64) throw new DnsWireError('compression pointer loop');
      pos = target;
      continue;
    }
    if (b & 0xc0) throw new DnsWireError(`unknown label type 0x${b.toString(16)}`);
    if (b === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if (pos + 1 + b > buf.length) throw new DnsWireError('label runs past the message');
    len += b + 1;
    if (len > 255) throw new DnsWireError('name longer than 255 bytes');
    labels.push(
      buf
        .toString('latin1', pos + 1, pos + 1 + b)
        .replace(/[^\x21-\x7e]|[.\\]/g, (c) =>
          c === '.' || c === '\\' ? '\\' + c : `\\${c.charCodeAt(0).toString().padStart(3, '0')}`,
        ),
    );
    pos += 1 + b;
  }
  return { name: labels.length ? labels.join('.') + '.' : '.', next };
}

function rdataText(buf: Buffer, type: number, off: number, len: number): string {
  const end = off + len;
  const name = (o: number) => readName(buf, o).name;
  switch (type) {
    case 1:
      if (len !== 4) throw new DnsWireError('A record not 4 bytes');
      return [...buf.subarray(off, end)].join('.');
    case 28: {
      if (len !== 16) throw new DnsWireError('AAAA record not 16 bytes');
      const g = [];
      for (let i = 0; i < 8; i++) g.push(buf.readUInt16BE(off + 2 * i).toString(16));
      return new URL(`http://[${g.join(':')}]/`).hostname.slice(1, -1); // RFC 5952 text
    }
    case 2:
    case 5:
    case 12:
      return name(off);
    case 15:
      return `${buf.readUInt16BE(off)} ${name(off + 2)}`;
    case 33:
      return `${buf.readUInt16BE(off)} ${buf.readUInt16BE(off + 2)} ${buf.readUInt16BE(off + 4)} ${name(off + 6)}`;
    case 16: {
      const out: string[] = [];
      for (let p = off; p < end; ) {
        const l = buf[p];
        out.push(JSON.stringify(buf.toString('latin1', p + 1, Math.min(end, p + 1 + l))));
        p += 1 + l;
      }
      return out.join(' ');
    }
    case 6: {
      const m = readName(buf, off),
        r = readName(buf, m.next);
      const n = [0, 1, 2, 3, 4].map((i) => buf.readUInt32BE(r.next + 4 * i));
      return `${m.name} ${r.name} ${n.join(' ')}`;
    }
    default:
      return `\\# ${len} ${buf.toString('hex', off, end)}`;
  }
}

export function decodeResponse(buf: Buffer): DnsResponse {
  if (buf.length < 12)
    throw new DnsWireError(`message of ${buf.length} bytes, shorter than a header`);
  const flags = buf.readUInt16BE(2);
  const [qd, an, ns, ar] = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  let off = 12;
  for (let i = 0; i < qd; i++) off = readName(buf, off).next + 4;
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an; i++) {
    const { name, next } = readName(buf, off);
    if (next + 10 > buf.length)
      throw new DnsWireError('answer record header runs past the message');
    const type = buf.readUInt16BE(next),
      ttl = buf.readUInt32BE(next + 4),
      len = buf.readUInt16BE(next + 8);
    if (next + 10 + len > buf.length) throw new DnsWireError('answer rdata runs past the message');
    answers.push({
      name,
      type: TYPE_NAMES[type] ?? `TYPE${type}`,
      ttl,
      data: rdataText(buf, type, next + 10, len),
    });
    off = next + 10 + len;
  }
  return {
    id: buf.readUInt16BE(0),
    rcode: RCODES[flags & 0xf] ?? `RCODE${flags & 0xf}`,
    aa: !!(flags & 0x0400),
    tc: !!(flags & 0x0200),
    rd: !!(flags & 0x0100),
    ra: !!(flags & 0x0080),
    questions: qd,
    answers,
    authority: ns,
    additional: ar,
  };
}
