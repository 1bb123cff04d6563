/** TCP connect probe (blackbox_exporter's tcp prober without a query, SmokePing's TCPPing): time to a completed handshake. */
import { connect } from 'node:net';
import { resolveHost, msSince, summarize, sleep, type ProbeLog, type Summary } from './common.js';

export interface TcpAttempt {
  seq: number;
  ms: number | null;
  error?: string;
}
export interface TcpResult extends Summary {
  host: string;
  port: number;
  address: string;
  attempts: TcpAttempt[];
}
export interface TcpOptions {
  count?: number;
  timeoutMs?: number;
  intervalMs?: number;
  log?: ProbeLog;
}

/** One handshake: resolves with its time, or an error text (refused, timeout, unreachable). */
export function tcpConnectOnce(
  address: string,
  port: number,
  timeoutMs: number,
): Promise<{ ms: number } | { error: string }> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const s = connect({ host: address, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ error: `timeout after ${timeoutMs} ms` });
    }, timeoutMs);
    s.once('connect', () => {
      const ms = msSince(t0);
      clearTimeout(timer);
      s.destroy();
      resolve({ ms });
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ error: e.code ?? e.message });
    });
  });
}

/** `count` connects, `intervalMs` apart; the name is resolved once, before the first, so DNS is not in the times. */
export async function probeTcp(host: string, port: number, o: TcpOptions = {}): Promise<TcpResult> {
  const count = o.count ?? 3,
    timeoutMs = o.timeoutMs ?? 2000,
    intervalMs = o.intervalMs ?? 1000;
  const log = o.log ?? (() => {});
  const { address } = await resolveHost(host, timeoutMs);
  if (address !== host) log(`resolved ${host} to ${address}`);
  const attempts: TcpAttempt[] = [];
  for (let seq = 1; seq <= count; seq++) {
    if (seq > 1) await sleep(intervalMs);
    log(`connecting to ${address} port ${port}`);
    const r = await tcpConnectOnce(address, port, timeoutMs);
    log('ms' in r ? `connected in ${r.ms} ms` : `connect failed: ${r.error}`);
    attempts.push('ms' in r ? { seq, ms: r.ms } : { seq, ms: null, error: r.error });
  }
  return { host, port, address, attempts, ...summarize(attempts.map((a) => a.ms)) };
}
