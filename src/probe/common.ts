/** Pieces shared by the probes: host:port parsing, name lookup with a deadline, timing, summaries. */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { HostopsError, usageError } from '../lib/errors.js';
import { parseDuration as parseDurationText } from '../lib/units.js';

/** Milliseconds since `t0` (a process.hrtime.bigint() value), to the microsecond. */
export const msSince = (t0: bigint): number =>
  Math.round(Number(process.hrtime.bigint() - t0) / 1e3) / 1e3;

/** "host:port", "[v6]:port" or "host" with a default port. */
export function parseHostPort(s: string, defaultPort?: number): { host: string; port: number } {
  let host = s;
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1];
    port = v6[2];
  } else if (!isIP(s) && s.includes(':')) {
    const i = s.lastIndexOf(':');
    host = s.slice(0, i);
    port = s.slice(i + 1);
  }
  const p = port === undefined ? defaultPort : Number(port);
  if (!host || p === undefined || !Number.isInteger(p) || p < 1 || p > 65535) {
    throw usageError(
      'PROBE_BAD_TARGET',
      `expected HOST:PORT with a port 1..65535, got ${JSON.stringify(s)}`,
      'e.g. 127.0.0.1:25 or [::1]:443',
    );
  }
  return { host, port: p };
}

/** Milliseconds from "2s", "500ms", "1.5s", "1m" (lib/units) or a bare number of milliseconds. */
export function parseDuration(s: string, name: string): number {
  const r = parseDurationText(s, { out: 'ms' });
  const ms = r.ok ? r.value : NaN;
  if (!(ms >= 1 && ms <= 600_000))
    throw HostopsError.of('BAD_OPTION', name, s, 'a duration 1ms..600s like 2s or 500ms');
  return ms;
}

/** Resolve a name (numeric addresses skip DNS) within `timeoutMs`; returns the address and the time it took. */
export async function resolveHost(
  host: string,
  timeoutMs: number,
): Promise<{ address: string; family: 4 | 6; dnsMs: number }> {
  const fam = isIP(host);
  if (fam) return { address: host, family: fam as 4 | 6, dnsMs: 0 };
  const t0 = process.hrtime.bigint();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, rej) => {
    timer = setTimeout(
      () =>
        rej(
          new HostopsError(
            'PROBE_DNS_TIMEOUT',
            `resolving ${host} took longer than ${timeoutMs} ms`,
            { where: host },
          ),
        ),
      timeoutMs,
    );
  });
  try {
    const r = await Promise.race([lookup(host), deadline]);
    return { address: r.address, family: r.family as 4 | 6, dnsMs: msSince(t0) };
  } catch (e) {
    if (e instanceof HostopsError) throw e;
    throw new HostopsError('PROBE_RESOLVE', `cannot resolve ${host}: ${(e as Error).message}`, {
      where: host,
    });
  } finally {
    clearTimeout(timer);
  }
}

export interface Summary {
  sent: number;
  received: number;
  lossPct: number;
  minMs: number | null;
  avgMs: number | null;
  maxMs: number | null;
}

/** min/avg/max/loss over attempts; null times are lost attempts. */
export function summarize(times: (number | null)[]): Summary {
  const ok = times.filter((t): t is number => t !== null);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    sent: times.length,
    received: ok.length,
    lossPct: times.length ? r3((100 * (times.length - ok.length)) / times.length) : 0,
    minMs: ok.length ? Math.min(...ok) : null,
    avgMs: ok.length ? r3(ok.reduce((a, b) => a + b, 0) / ok.length) : null,
    maxMs: ok.length ? Math.max(...ok) : null,
  };
}

/** Where a probe writes its steps (serve's `?debug=true` shows them); the CLI passes none. */
export type ProbeLog = (msg: string) => void;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
