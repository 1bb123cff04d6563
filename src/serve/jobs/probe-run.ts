/**
 * One run of a `probes:` entry: the module options from its config, the prober from the registry,
 * and the module's result turned into the probe table's row (durations in seconds).
 */
import { readFile } from 'node:fs/promises';
import type { ProbeConfig } from '../../config/index.js';
import type { ProbeRecord } from '../../store/index.js';
import type { DnsResult, HttpResult, SmtpResult, TcpResult, TlsInfo } from '../../probe/index.js';
import { PROBERS, splitHostPort } from '../probes/registry.js';
import type { ProbeLog } from '../probes/prober.js';

export type ProbeRow = Omit<ProbeRecord, 'site' | 'ts'>;

const s = (ms: number | null | undefined) => (ms == null ? null : Math.round(ms * 1000) / 1e6);
const expiry = (t: TlsInfo | null | undefined) =>
  t?.cert ? Date.parse(t.cert.notAfter) / 1000 : null;
const tlsData = (t: TlsInfo | null | undefined) =>
  t && {
    protocol: t.protocol,
    cipher: t.cipher,
    authorized: t.authorized,
    authorizationError: t.authorizationError,
    subject: t.cert?.subject ?? null,
    issuer: t.cert?.issuer ?? null,
    notAfter: t.cert?.notAfter ?? null,
  };

/** Run the probe once; a probe that cannot even start (a name that does not resolve) is a failed run, not an error. */
export async function runProbe(
  p: ProbeConfig,
  log: ProbeLog,
  signal?: AbortSignal,
): Promise<ProbeRow> {
  const base = { probe: p.name, prober: p.prober, target: p.target };
  const timeoutMs = p.timeout * 1000;
  log(`beginning ${p.prober} probe ${p.name} of ${p.target}, timeout ${p.timeout} s`);
  const t0 = performance.now();
  let row: ProbeRow;
  try {
    const run = (async (): Promise<ProbeRow> => {
      switch (p.prober) {
        case 'tcp':
          return {
            ...base,
            ...fromTcp(
              await PROBERS.tcp.probe(
                splitHostPort(p.target, 0),
                { count: 1, timeoutMs },
                { log, signal },
              ),
            ),
          };
        case 'http': {
          const m = p.http;
          const r = await PROBERS.http.probe(
            p.target,
            {
              timeoutMs,
              method: m.method,
              expectStatus: m.status,
              insecure: !m.verify,
              ...(m.ca ? { ca: await readFile(m.ca) } : {}),
              ...(m.bodyRegex ? { bodyRegex: new RegExp(m.bodyRegex) } : {}),
            },
            { log, signal },
          );
          return { ...base, ...fromHttp(r) };
        }
        case 'dns':
          return {
            ...base,
            ...fromDns(
              await PROBERS.dns.probe(
                p.target,
                {
                  timeoutMs,
                  name: p.dns.name,
                  type: p.dns.type,
                  expect: p.dns.expect,
                  expectRcode: p.dns.rcode,
                },
                { log, signal },
              ),
            ),
          };
        case 'smtp': {
          const m = p.smtp;
          const r = await PROBERS.smtp.probe(
            splitHostPort(p.target, 25),
            {
              timeoutMs,
              helo: m.helo,
              starttls: m.starttls !== 'off',
              requireStarttls: m.starttls === 'required',
              insecure: !m.verify,
              ...(m.ca ? { ca: await readFile(m.ca) } : {}),
            },
            { log, signal },
          );
          return { ...base, ...fromSmtp(r) };
        }
      }
    })();
    // the probes end at their own timeout; an abort (agent stopping) does not wait for that, and
    // what the abandoned run rejects with later must not become an unhandled rejection
    run.catch(() => {});
    row = signal
      ? await Promise.race([
          run,
          new Promise<never>((_, rej) => {
            if (signal.aborted) rej(signal.reason);
            signal.addEventListener('abort', () => rej(signal.reason), { once: true });
          }),
        ])
      : await run;
  } catch (e) {
    if (signal?.aborted) throw e;
    const msg = (e as Error).message;
    log(`probe failed: ${msg}`);
    row = {
      ...base,
      success: false,
      failure: msg,
      duration: s(performance.now() - t0),
      phases: {},
      status: null,
      rcode: null,
      certExpiry: null,
    };
  }
  log(`probe ${row.success ? 'succeeded' : 'failed'} in ${row.duration ?? '?'} s`);
  return row;
}

function fromTcp(r: TcpResult): Omit<ProbeRow, 'probe' | 'prober' | 'target'> {
  const a = r.attempts[0];
  return {
    success: a?.ms != null,
    failure: a?.ms != null ? null : (a?.error ?? 'no attempt'),
    duration: s(a?.ms),
    phases: { connect: s(a?.ms) },
    status: null,
    rcode: null,
    certExpiry: null,
    data: { address: r.address },
  };
}

function fromHttp(r: HttpResult): Omit<ProbeRow, 'probe' | 'prober' | 'target'> {
  const p = r.phases;
  return {
    success: r.success,
    failure: r.failure,
    duration: s(r.at.totalMs),
    phases: {
      resolve: s(p.resolve),
      connect: s(p.connect),
      tls: s(p.tls),
      processing: s(p.processing),
      transfer: s(p.transfer),
    },
    status: r.status,
    rcode: null,
    certExpiry: expiry(r.tls),
    data: {
      address: r.address,
      httpVersion: r.httpVersion,
      bodyBytes: r.bodyBytes,
      rateBps: r.rateBps,
      tls: tlsData(r.tls),
    },
  };
}

function fromDns(r: DnsResult): Omit<ProbeRow, 'probe' | 'prober' | 'target'> {
  return {
    success: r.success,
    failure: r.failure,
    duration: s(r.ms),
    phases: { request: s(r.ms) },
    status: null,
    rcode: r.rcode,
    certExpiry: null,
    data: {
      name: r.name,
      type: r.type,
      answers: r.values,
      answerRrs: r.response?.answers.length ?? null,
      authorityRrs: r.response?.authority ?? null,
      additionalRrs: r.response?.additional ?? null,
    },
  };
}

function fromSmtp(r: SmtpResult): Omit<ProbeRow, 'probe' | 'prober' | 'target'> {
  const d = (a: number | null, b: number | null) => (a != null && b != null ? s(a - b) : null);
  const tls = r.starttls.tls;
  return {
    success: r.success,
    failure: r.failure,
    duration: s(r.totalMs),
    phases: {
      connect: s(r.connectMs),
      banner: d(r.bannerMs, r.connectMs),
      ehlo: d(r.ehloMs, r.bannerMs),
      starttls: d(r.tlsMs, r.ehloMs),
    },
    status: null,
    rcode: null,
    certExpiry: expiry(tls),
    data: {
      address: r.address,
      banner: r.banner,
      starttlsOffered: r.starttls.offered,
      tls: tlsData(tls),
    },
  };
}
