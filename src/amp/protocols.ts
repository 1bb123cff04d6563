/**
 * UDP amplification vectors (US-CERT TA14-017A list) with the probe each scan sends and a check
 * that a reply really is an answer in that protocol (so garbage or a different service on the
 * port is not counted as an amplifier). Probes are built here from the protocol specs; sizes are
 * close to the ones zmap ships in examples/udp-probes (reference §4).
 */
import { usageError } from '../lib/errors.js';
import { amplifier } from './catalogue.js';
import { CTL_OP, IMPL, REQ, buildControlRequest, buildPrivateRequest } from '../ntp/packet.js';

export interface ProbeIds {
  /** 16-bit transaction id used by DNS, NetBIOS, memcached. */
  tx16: number;
  /** 32-bit id used by portmap (RPC xid), SNMP request-id, CLDAP message id. */
  tx32: number;
}

export interface AmpProtocol {
  name: string;
  port: number;
  /** What the probe asks for, in words. */
  request: string;
  /** US-CERT TA14-017A published factor, for context in reports. */
  published: string;
  /** What closes it. */
  fix: string;
  build(ids: ProbeIds): Buffer;
  /** First up to 112 bytes of a reply and its full length → is this an answer to our probe? */
  valid(head: Buffer, length: number, ids: ProbeIds): boolean;
}

// ---- tiny BER encoder for SNMP and CLDAP --------------------------------------------------
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len =
    n < 0x80
      ? Buffer.from([n])
      : n < 0x100
        ? Buffer.from([0x81, n])
        : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
function berInt(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  let i = 0;
  while (i < 3 && b[i] === 0 && (b[i + 1] & 0x80) === 0) i++;
  // keep positive: a leading 1-bit needs a 0x00 pad
  const body = b.subarray(i);
  return tlv(0x02, body[0] & 0x80 ? Buffer.concat([Buffer.from([0]), body]) : body);
}
const berStr = (s: string, tag = 0x04) => tlv(tag, Buffer.from(s, 'latin1'));

const text = (h: Buffer) => h.toString('latin1');
const printable = (h: Buffer) => {
  // a loop, not [...h].every(): this runs for every chargen/qotd reply
  for (const c of h)
    if (!((c >= 0x20 && c < 0x7f) || c === 10 || c === 13 || c === 9)) return false;
  return h.length > 0;
};

export const PROTOCOLS: AmpProtocol[] = [
  {
    name: 'ntp-monlist',
    port: 123,
    request: 'mode 7 MON_GETLIST_1 (impl 3, code 42), 48 bytes as nmap',
    published: '556.9',
    fix: 'ntpd: `restrict default kod limited nomodify notrap nopeer noquery` (+ `-6`), upgrade to >= 4.2.7p26 (see `hostops ntp check`)',
    build: () => buildPrivateRequest(IMPL.xntpd, REQ.monGetlist1, 48), // the ntp module owns the bytes
    valid: (h) => h.length >= 8 && (h[0] & 0x87) === 0x87 && h[3] === 42,
  },
  {
    name: 'ntp-mode6',
    port: 123,
    request: 'mode 6 READVAR, 12 bytes as ntpq -c rv',
    published: '~30 (Shadowserver)',
    fix: 'ntpd/ntpsec: `noquery` on the default restrict entry (ntpsec: remove `unrestrict default noquery`)',
    build: () => buildControlRequest(CTL_OP.readvar, 1),
    valid: (h) => h.length >= 12 && (h[0] & 7) === 6 && (h[1] & 0x80) !== 0 && (h[1] & 0x1f) === 2,
  },
  {
    name: 'dns',
    port: 53,
    request: 'ANY for "." with RD and EDNS0 4096',
    published: '28 to 54',
    fix: 'recursion only for your own clients (BIND `allow-recursion { trusted; };`, Unbound `access-control`), response rate limiting',
    build: (ids) => {
      const b = Buffer.alloc(28);
      b.writeUInt16BE(ids.tx16, 0);
      b.writeUInt16BE(0x0100, 2); // RD
      b.writeUInt16BE(1, 4); // QDCOUNT
      b.writeUInt16BE(1, 10); // ARCOUNT (OPT)
      b[12] = 0; // root name
      b.writeUInt16BE(255, 13); // ANY
      b.writeUInt16BE(1, 15); // IN
      b[17] = 0;
      b.writeUInt16BE(41, 18);
      b.writeUInt16BE(4096, 20); // OPT, payload size
      return b;
    },
    valid: (h, _l, ids) => h.length >= 12 && h.readUInt16BE(0) === ids.tx16 && (h[2] & 0x80) !== 0,
  },
  {
    name: 'ssdp',
    port: 1900,
    request: 'M-SEARCH ssdp:all',
    published: '30.8',
    fix: 'disable UPnP/SSDP on WAN interfaces; drop inbound UDP 1900 at the edge',
    build: () =>
      Buffer.from(
        'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n',
        'latin1',
      ),
    valid: (h) => /^HTTP\/1\.[01] 200/i.test(text(h)) || /^NOTIFY \* HTTP/i.test(text(h)),
  },
  {
    name: 'memcached',
    port: 11211,
    request: 'UDP frame + "stats"',
    published: '10,000 to 51,000',
    fix: 'start memcached with `-U 0` (UDP off) and `-l 127.0.0.1`',
    build: (ids) => {
      const b = Buffer.concat([Buffer.alloc(8), Buffer.from('stats\r\n')]);
      b.writeUInt16BE(ids.tx16, 0);
      b.writeUInt16BE(1, 4); // total datagrams in this request
      return b;
    },
    valid: (h, _l, ids) =>
      h.length >= 12 &&
      h.readUInt16BE(0) === ids.tx16 &&
      /^(STAT |END|VALUE )/.test(text(h.subarray(8))),
  },
  {
    name: 'chargen',
    port: 19,
    request: 'any datagram (1 byte)',
    published: '358.8',
    fix: 'disable the chargen service (inetd/xinetd `chargen-udp`)',
    build: () => Buffer.from('\n'),
    valid: (h) => printable(h),
  },
  {
    name: 'qotd',
    port: 17,
    request: 'any datagram (2 bytes)',
    published: '140.3',
    fix: 'disable the qotd service (inetd/xinetd)',
    build: () => Buffer.from('\r\n'),
    valid: (h) => printable(h),
  },
  {
    name: 'snmp',
    port: 161,
    request: 'SNMPv2c GetBulk, community public, max-repetitions 32',
    published: '6.3',
    fix: 'no `public` community; restrict SNMP to the management network (`rocommunity <secret> <mgmt-prefix>`)',
    build: (ids) => {
      const vb = tlv(
        0x30,
        tlv(
          0x30,
          Buffer.concat([
            Buffer.from([0x06, 0x05, 0x2b, 0x06, 0x01, 0x02, 0x01]),
            Buffer.from([0x05, 0x00]),
          ]),
        ),
      );
      const pdu = tlv(
        0xa5,
        Buffer.concat([berInt(ids.tx32 & 0x7fffffff), berInt(0), berInt(32), vb]),
      );
      return tlv(0x30, Buffer.concat([berInt(1), berStr('public'), pdu]));
    },
    valid: (h) =>
      h.length >= 14 && h[0] === 0x30 && h.includes(Buffer.from('public')) && h.includes(0xa2),
  },
  {
    name: 'netbios',
    port: 137,
    request: 'NBSTAT query for "*"',
    published: '3.8',
    fix: 'drop UDP 137-139 from outside; disable NetBIOS over TCP/IP on public interfaces',
    build: (ids) => {
      const b = Buffer.alloc(50);
      b.writeUInt16BE(ids.tx16, 0);
      b.writeUInt16BE(1, 4);
      b[12] = 0x20;
      b.write('CK' + 'A'.repeat(30), 13, 'latin1');
      b[45] = 0;
      b.writeUInt16BE(0x21, 46);
      b.writeUInt16BE(1, 48);
      return b;
    },
    valid: (h, _l, ids) => h.length >= 12 && h.readUInt16BE(0) === ids.tx16 && (h[2] & 0x80) !== 0,
  },
  {
    name: 'portmap',
    port: 111,
    request: 'RPC PMAPPROC_DUMP (v2)',
    published: '7 to 28',
    fix: 'stop rpcbind where NFS is not used, or drop UDP/TCP 111 from outside',
    build: (ids) => {
      const b = Buffer.alloc(40);
      b.writeUInt32BE(ids.tx32 >>> 0, 0);
      b.writeUInt32BE(0, 4);
      b.writeUInt32BE(2, 8);
      b.writeUInt32BE(100000, 12);
      b.writeUInt32BE(2, 16);
      b.writeUInt32BE(4, 20);
      return b;
    },
    valid: (h, _l, ids) =>
      h.length >= 24 && h.readUInt32BE(0) === ids.tx32 >>> 0 && h.readUInt32BE(4) === 1,
  },
  {
    name: 'cldap',
    port: 389,
    request: 'rootDSE search (objectClass present)',
    published: '56 to 70',
    fix: 'drop inbound UDP 389 from outside on domain controllers',
    build: (ids) => {
      const search = tlv(
        0x63,
        Buffer.concat([
          berStr(''),
          tlv(0x0a, Buffer.from([0])),
          tlv(0x0a, Buffer.from([0])),
          berInt(0),
          berInt(0),
          tlv(0x01, Buffer.from([0])),
          berStr('objectClass', 0x87),
          tlv(0x30, Buffer.alloc(0)),
        ]),
      );
      return tlv(0x30, Buffer.concat([berInt(ids.tx32 & 0x7fff), search]));
    },
    valid: (h) => h.length >= 8 && h[0] === 0x30 && (h.includes(0x64) || h.includes(0x65)),
  },
  {
    name: 'wsd',
    port: 3702,
    request: 'WS-Discovery Probe',
    published: '10 to 500',
    fix: 'drop inbound UDP 3702 from outside; disable WS-Discovery on public interfaces',
    build: (ids) =>
      Buffer.from(
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" ' +
          'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery">' +
          `<soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To><wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action><wsa:MessageID>urn:uuid:${ids.tx32.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000</wsa:MessageID></soap:Header>` +
          '<soap:Body><wsd:Probe/></soap:Body></soap:Envelope>',
        'latin1',
      ),
    valid: (h) => /^\s*</.test(text(h)) && /Envelope/i.test(text(h)),
  },
];

export const PROTOCOL_NAMES = PROTOCOLS.map((p) => p.name);

/** Resolve probe names, catalogue protocol names (`ntp`: both NTP probes, `ws-discovery`: wsd), or `all`. */
export function selectProtocols(spec: string | undefined): AmpProtocol[] {
  if (!spec || spec === 'all') return PROTOCOLS;
  const want = new Set<string>();
  for (const raw of spec
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    if (PROTOCOL_NAMES.includes(raw)) {
      want.add(raw);
      continue;
    }
    // a protocol's catalogue name stands for all of amp's probes of it (ntp: monlist and mode 6)
    const port = amplifier(raw)?.port;
    const probes = PROTOCOLS.filter((p) => p.port === port);
    if (!probes.length)
      throw usageError(
        'AMP_BAD_PROTOCOL',
        `unknown protocol ${JSON.stringify(raw)}`,
        `one of: ntp, ${PROTOCOL_NAMES.join(', ')}, all`,
      );
    for (const p of probes) want.add(p.name);
  }
  return PROTOCOLS.filter((p) => want.has(p.name));
}
