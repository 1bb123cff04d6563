/**
 * HTTP(S) probe (blackbox_exporter's http prober, SmokePing's Curl): one request on a fresh
 * connection, timed at the socket's events: lookup (DNS), connect, secureConnect (TLS), response
 * headers (first byte) and the end of the body.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { usageError } from '../lib/errors.js';
import { msSince, type ProbeLog } from './common.js';
import { tlsInfo, type TlsInfo } from './tls-info.js';

export interface HttpOptions {
  timeoutMs?: number;
  /** accept a certificate that does not verify (still reported) */
  insecure?: boolean;
  /** PEM CA bundle to verify against instead of the system's */
  ca?: string | Buffer;
  /** statuses counted as success; default any 2xx */
  expectStatus?: number[];
  method?: 'GET' | 'HEAD';
  /** the body must match this (blackbox's fail_if_body_not_matches_regexp); the first MiB is kept for it */
  bodyRegex?: RegExp;
  log?: ProbeLog;
}

/** Milliseconds from the start of the request to each event; null when it did not happen (no DNS for an address, no TLS for http:). */
export interface HttpTimeline {
  dnsMs: number | null;
  connectMs: number | null;
  tlsMs: number | null;
  firstByteMs: number | null;
  totalMs: number;
}
/** Each phase's own duration (blackbox's probe_http_duration_seconds{phase}). */
export interface HttpPhases {
  resolve: number | null;
  connect: number | null;
  tls: number | null;
  processing: number | null;
  transfer: number | null;
}

export interface HttpResult {
  url: string;
  success: boolean;
  /** why it failed, when it did */
  failure: string | null;
  address: string | null;
  status: number | null;
  httpVersion: string | null;
  bodyBytes: number;
  /** body bytes per second over the whole request (curl's speed_download) */
  rateBps: number | null;
  at: HttpTimeline;
  phases: HttpPhases;
  tls: TlsInfo | null;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function probeHttp(url: string, o: HttpOptions = {}): Promise<HttpResult> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usageError(
      'PROBE_BAD_URL',
      `not a URL: ${JSON.stringify(url)}`,
      'e.g. https://example.net/health',
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw usageError('PROBE_BAD_URL', `only http: and https: URLs are probed, got ${u.protocol}`);
  const timeoutMs = o.timeoutMs ?? 10_000;
  const tlsWanted = u.protocol === 'https:';
  const mod = tlsWanted ? https : http;
  const t0 = process.hrtime.bigint();
  const at: HttpTimeline = {
    dnsMs: null,
    connectMs: null,
    tlsMs: null,
    firstByteMs: null,
    totalMs: 0,
  };
  const res: HttpResult = {
    url,
    success: false,
    failure: null,
    address: null,
    status: null,
    httpVersion: null,
    bodyBytes: 0,
    rateBps: null,
    at,
    phases: { resolve: null, connect: null, tls: null, processing: null, transfer: null },
    tls: null,
  };

  const log = o.log ?? (() => {});
  const keep: Buffer[] = [];
  let kept = 0;
  return new Promise((resolve) => {
    let done = false;
    const finish = (failure: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      at.totalMs = msSince(t0);
      res.failure = failure;
      const expect = o.expectStatus;
      if (!failure && res.status !== null) {
        const ok = expect ? expect.includes(res.status) : res.status >= 200 && res.status < 300;
        if (!ok)
          res.failure = `status ${res.status}, expected ${expect ? expect.join(' or ') : '2xx'}`;
        else if (o.bodyRegex && !o.bodyRegex.test(Buffer.concat(keep).toString('utf8')))
          res.failure = `body does not match ${o.bodyRegex}`;
      }
      log(
        res.failure
          ? `probe failed: ${res.failure}`
          : `done: ${res.bodyBytes} body bytes in ${at.totalMs} ms`,
      );
      res.success = res.failure === null;
      const p = res.phases;
      p.resolve = at.dnsMs;
      const before = (...xs: (number | null)[]) => xs.find((x) => x !== null) ?? 0;
      if (at.connectMs !== null) p.connect = r3(at.connectMs - before(at.dnsMs));
      if (at.tlsMs !== null) p.tls = r3(at.tlsMs - before(at.connectMs));
      if (at.firstByteMs !== null)
        p.processing = r3(at.firstByteMs - before(at.tlsMs, at.connectMs));
      if (at.firstByteMs !== null && !failure) p.transfer = r3(at.totalMs - at.firstByteMs);
      res.rateBps =
        !failure && at.totalMs > 0 ? Math.round(res.bodyBytes / (at.totalMs / 1000)) : null;
      resolve(res);
    };
    const req = mod.request(u, {
      method: o.method ?? 'GET',
      agent: false, // a fresh connection: a pooled one would hide connect and TLS
      headers: { 'user-agent': 'hostops-probe', connection: 'close' },
      // verified below, so an untrusted or expired certificate is still described before the probe fails
      ...(tlsWanted ? { rejectUnauthorized: false, ...(o.ca ? { ca: o.ca } : {}) } : {}),
    });
    log(`${o.method ?? 'GET'} ${url}`);
    const timer = setTimeout(() => {
      finish(`timeout after ${timeoutMs} ms`);
      req.destroy();
    }, timeoutMs);
    req.on('socket', (s: Socket) => {
      s.once('lookup', (err, address) => {
        if (!err) {
          at.dnsMs = msSince(t0);
          res.address = address;
          log(`resolved ${u.hostname} to ${address}`);
        }
      });
      s.once('connect', () => {
        at.connectMs = msSince(t0);
        res.address ??= s.remoteAddress ?? null;
        log(`connected to ${res.address} port ${s.remotePort}`);
      });
      s.once('secureConnect', () => {
        at.tlsMs = msSince(t0);
        const ts = s as TLSSocket;
        res.tls = tlsInfo(ts);
        log(
          `TLS ${res.tls.protocol} ${res.tls.cipher}, certificate ${res.tls.cert?.subject ?? '?'} expires ${res.tls.cert?.notAfter ?? '?'}, ${ts.authorized ? 'trusted' : `not trusted: ${res.tls.authorizationError}`}`,
        );
        if (!ts.authorized && !o.insecure) {
          finish(`certificate not trusted: ${res.tls.authorizationError}`);
          req.destroy();
        }
      });
    });
    req.on('response', (r) => {
      at.firstByteMs = msSince(t0);
      res.status = r.statusCode ?? null;
      res.httpVersion = r.httpVersion;
      log(`HTTP/${r.httpVersion} ${r.statusCode}`);
      r.on('data', (d: Buffer) => {
        res.bodyBytes += d.length;
        if (o.bodyRegex && kept < 1 << 20) {
          keep.push(d.subarray(0, (1 << 20) - kept));
          kept += Math.min(d.length, (1 << 20) - kept);
        }
      });
      r.on('end', () => finish(null));
      r.on('error', (e) => finish(`body: ${e.message}`));
      r.on('aborted', () => finish('body cut short by the server'));
    });
    req.on('error', (e: NodeJS.ErrnoException) =>
      finish(e.code ? `${e.code}: ${e.message}` : e.message),
    );
    req.end();
  });
}
