/**
 * SMTP probe (blackbox_exporter's tcp prober with an SMTP query_response, SmokePing's SMTP):
 * banner time and text, EHLO capabilities, and STARTTLS with the certificate, then QUIT.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { resolveHost, msSince, type ProbeLog } from './common.js';
import { tlsInfo, type TlsInfo } from './tls-info.js';

export interface SmtpOptions {
  timeoutMs?: number;
  helo?: string;
  starttls?: boolean;
  requireStarttls?: boolean;
  insecure?: boolean;
  ca?: string | Buffer;
  log?: ProbeLog;
}
export interface SmtpReply {
  code: number;
  lines: string[];
}
export interface SmtpResult {
  host: string;
  port: number;
  address: string | null;
  success: boolean;
  failure: string | null;
  /** ms since the start of the connect */
  connectMs: number | null;
  bannerMs: number | null;
  ehloMs: number | null;
  tlsMs: number | null;
  totalMs: number;
  banner: string | null;
  capabilities: string[];
  starttls: { offered: boolean; tls: TlsInfo | null; capabilities: string[] };
}

/** Reads SMTP replies (RFC 5321 §4.2: "ddd-" continues, "ddd " ends) from a socket; bounded in bytes. */
class ReplyReader {
  private buf = '';
  private waiting: { resolve: (r: SmtpReply) => void; reject: (e: Error) => void } | null = null;
  private failed: Error | null = null;
  constructor(private s: Socket) {
    this.attach(s);
  }
  attach(s: Socket) {
    this.s = s;
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      this.buf += d;
      if (this.buf.length > 65536) this.fail(new Error('reply longer than 64 KiB'));
      else this.pump();
    });
    s.on('error', (e: NodeJS.ErrnoException) => this.fail(new Error(e.code ?? e.message)));
    s.on('end', () => this.fail(new Error('server closed the connection')));
  }
  detach() {
    this.s.removeAllListeners('data');
    this.s.removeAllListeners('end');
  }
  fail(e: Error) {
    this.failed ??= e;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w.reject(e);
    }
  }
  private pump() {
    if (!this.waiting) return;
    const lines = this.buf.split('\r\n');
    for (let i = 0; i < lines.length - 1; i++) {
      if (/^\d{3}( |$)/.test(lines[i])) {
        const reply = lines.slice(0, i + 1);
        this.buf = lines.slice(i + 1).join('\r\n');
        const w = this.waiting;
        this.waiting = null;
        w.resolve({ code: Number(reply[0].slice(0, 3)), lines: reply.map((l) => l.slice(4)) });
        return;
      }
      if (!/^\d{3}-/.test(lines[i])) {
        this.fail(new Error(`not an SMTP reply line: ${JSON.stringify(lines[i].slice(0, 80))}`));
        return;
      }
    }
  }
  next(): Promise<SmtpReply> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.pump();
    });
  }
}

export async function probeSmtp(
  host: string,
  port: number,
  o: SmtpOptions = {},
): Promise<SmtpResult> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const helo = o.helo ?? hostname();
  const r: SmtpResult = {
    host,
    port,
    address: null,
    success: false,
    failure: null,
    connectMs: null,
    bannerMs: null,
    ehloMs: null,
    tlsMs: null,
    totalMs: 0,
    banner: null,
    capabilities: [],
    starttls: { offered: false, tls: null, capabilities: [] },
  };
  const log = o.log ?? (() => {});
  const { address } = await resolveHost(host, timeoutMs);
  r.address = address;
  log(`connecting to ${address} port ${port}`);
  const t0 = process.hrtime.bigint();
  let sock: Socket = connect({ host: address, port });
  // one deadline for the whole exchange
  const timer = setTimeout(() => {
    const e = new Error(`timeout after ${timeoutMs} ms`);
    reader.fail(e);
    sock.destroy(e);
  }, timeoutMs);
  const reader = new ReplyReader(sock);
  const expect = async (what: string, code: number) => {
    const rep = await reader.next();
    log(`< ${rep.code} ${rep.lines.join(' / ')}`);
    if (rep.code !== code) throw new Error(`${what}: ${rep.code} ${rep.lines.join(' / ')}`);
    return rep;
  };
  const send = (line: string) => {
    log(`> ${line}`);
    return sock.write(line + '\r\n');
  };
  const caps = (rep: SmtpReply) => rep.lines.slice(1);
  try {
    sock.once('connect', () => {
      r.connectMs = msSince(t0);
    });
    const banner = await expect('banner', 220);
    r.bannerMs = msSince(t0);
    r.banner = banner.lines.join('\n');
    send(`EHLO ${helo}`);
    r.capabilities = caps(await expect('EHLO', 250));
    r.ehloMs = msSince(t0);
    r.starttls.offered = r.capabilities.some((c) => /^STARTTLS$/i.test(c.trim()));
    if (o.requireStarttls && !r.starttls.offered) throw new Error('STARTTLS not offered');
    if (r.starttls.offered && o.starttls !== false) {
      send('STARTTLS');
      await expect('STARTTLS', 220);
      reader.detach();
      const plain = sock;
      const ts: TLSSocket = tlsConnect({
        socket: plain,
        servername: isIP(host) ? undefined : host,
        rejectUnauthorized: false,
        ...(o.ca ? { ca: o.ca } : {}),
      });
      sock = ts;
      reader.attach(ts);
      await new Promise<void>((res, rej) => {
        ts.once('secureConnect', res);
        ts.once('error', rej);
      });
      r.tlsMs = msSince(t0);
      r.starttls.tls = tlsInfo(ts);
      log(
        `TLS ${r.starttls.tls.protocol} ${r.starttls.tls.cipher}, certificate ${r.starttls.tls.cert?.subject ?? '?'} expires ${r.starttls.tls.cert?.notAfter ?? '?'}`,
      );
      if (!ts.authorized && !o.insecure)
        throw new Error(`certificate not trusted: ${r.starttls.tls.authorizationError}`);
      send(`EHLO ${helo}`);
      r.starttls.capabilities = caps(await expect('EHLO after STARTTLS', 250));
    }
    send('QUIT');
    await expect('QUIT', 221).catch(() => undefined); // a server that drops the line at QUIT still passed
  } catch (e) {
    r.failure = (e as Error).message;
  } finally {
    clearTimeout(timer);
    r.totalMs = msSince(t0);
    sock.destroy();
  }
  r.success = r.failure === null;
  if (r.failure) log(`probe failed: ${r.failure}`);
  return r;
}
