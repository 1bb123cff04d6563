/** `ntp query`: one SNTP-style mode 3 exchange; offset and delay per RFC 5905 §8. */
import { randomBytes } from 'node:crypto';
import { HostopsError } from '../lib/errors.js';
import {
  buildClientRequest,
  formatRefid,
  fromNtpTimestamp,
  KISS_CODES,
  MODE,
  parseServerPacket,
  toNtpTimestamp,
} from './packet.js';
import { exchange, resolveHost } from './udp.js';

export interface NtpQueryResult {
  host: string;
  address: string;
  port: number;
  /** Clock offset θ (server − local), seconds. */
  offset: number;
  /** Round-trip delay δ, seconds. */
  delay: number;
  stratum: number;
  refid: string;
  leap: number;
  leapText: string;
  version: number;
  mode: number;
  poll: number;
  /** log2 seconds, and the same in seconds. */
  precision: number;
  precisionSeconds: number;
  rootDelay: number;
  rootDispersion: number;
  referenceTime: number;
  serverTime: number;
  /** Kiss-o'-Death code (stratum 0), e.g. RATE, DENY, RSTR, INIT; null otherwise. */
  kod: string | null;
  /** What a client must do about the KoD. */
  kodMeaning: string | null;
  synchronized: boolean;
  requestBytes: number;
  replyBytes: number;
}

const LEAP = [
  'no warning',
  'last minute has 61 seconds',
  'last minute has 59 seconds',
  'unsynchronized',
];
const KOD_MEANING: Record<string, string> = {
  RATE: 'rate exceeded: the server asks this client to reduce its polling rate',
  DENY: 'access denied: the server asks this client to stop sending',
  RSTR: 'access restricted: the server asks this client to stop sending',
  INIT: 'the server has not synchronized yet',
  STEP: 'the server stepped its clock',
};

export async function ntpQuery(
  host: string,
  opts: { port?: number; timeoutMs?: number; version?: number } = {},
): Promise<NtpQueryResult> {
  const port = opts.port ?? 123;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const target = await resolveHost(host);
  // The transmit timestamp is written just before the send (T1), with random low bits so a
  // reply's origin field can only match our request (the server echoes it).
  const xmt = Buffer.alloc(8);
  let t1 = 0;
  const req = buildClientRequest(xmt, opts.version ?? 4);
  const stamp = (b: Buffer) => {
    toNtpTimestamp((performance.timeOrigin + performance.now()) / 1000, xmt);
    randomBytes(2).copy(xmt, 6);
    t1 = fromNtpTimestamp(xmt, 0);
    xmt.copy(b, 40);
  };
  const { replies } = await exchange(target, port, [req], {
    timeoutMs,
    beforeSend: stamp,
    done: (r) => r.some((d) => matches(d.data, xmt)),
  });
  const reply = replies.find((d) => matches(d.data, xmt));
  if (!reply) {
    // the peer is in `where` (printed after the message): not twice; the hint names the port really used
    throw new HostopsError(
      'NTP_TIMEOUT',
      `no NTP reply from ${host}${host !== target.address ? ` (${target.address})` : ''} within ${timeoutMs} ms`,
      {
        where: `${target.address}:${port}`,
        hint: replies.length
          ? `${replies.length} unrelated datagram(s) ignored`
          : `the server may not serve this address (chrony needs \`allow\`; ntpd \`restrict ... ignore\`) or a firewall drops UDP ${port}`,
      },
    );
  }
  const t4 = reply.at / 1000;
  const p = parseServerPacket(reply.data)!;
  const kod = p.stratum === 0 ? formatRefid(0, p.refidRaw) : null;
  const t2 = p.receive;
  const t3 = p.transmit;
  const valid = kod === null && t2 !== 0 && t3 !== 0;
  const offset = valid ? (t2 - t1 + (t3 - t4)) / 2 : 0;
  const delay = valid ? t4 - t1 - (t3 - t2) : t4 - t1;
  return {
    host,
    address: target.address,
    port,
    offset,
    delay,
    stratum: p.stratum,
    refid: formatRefid(p.stratum, p.refidRaw),
    leap: p.leap,
    leapText: LEAP[p.leap],
    version: p.version,
    mode: p.mode,
    poll: p.poll,
    precision: p.precision,
    precisionSeconds: 2 ** p.precision,
    rootDelay: p.rootDelay,
    rootDispersion: p.rootDispersion,
    referenceTime: p.reference,
    serverTime: t3,
    kod,
    kodMeaning: kod
      ? (KOD_MEANING[kod] ??
        (KISS_CODES.includes(kod) ? 'kiss code (RFC 5905 §7.4)' : 'unknown kiss code'))
      : null,
    synchronized: p.leap !== 3 && p.stratum > 0 && p.stratum < 16,
    requestBytes: req.length,
    replyBytes: reply.data.length,
  };
}

/** A reply is ours when it is a mode 4 packet echoing our transmit timestamp as its origin. */
function matches(data: Buffer, xmt: Buffer): boolean {
  if (data.length < 48) return false;
  const mode = data[0] & 7;
  if (mode !== MODE.server) return false;
  return data.subarray(24, 32).equals(xmt);
}
