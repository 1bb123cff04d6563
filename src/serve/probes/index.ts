/**
 * What the agent measures with: the probers of registry.ts (one contract, prober.ts), picked by
 * the config, and the mail queue source. Tests and benchmarks replace any of them.
 */
import { startServer } from '../../iperf/index.js';
import type { NtpCheckResult, NtpQueryResult } from '../../ntp/index.js';
import { latencyProber, PROBERS } from './registry.js';
import { type MailqSource } from './mailq.js';
import { mailqModuleSource } from './mailq-module.js';

export type LatencyProber = import('./latency.js').LatencyProber;
export type PathProber = typeof PROBERS.path;
/** The iperf3 client prober and the server every agent offers its peers. */
export type ThroughputProber = typeof PROBERS.iperf & {
  server(o: { host: string; port: number }): Promise<{ port: number; close(): Promise<void> }>;
};
/** NTP self-check (mode 3 query) and amplification exposure (mode 3/6/7), src/ntp's own results. */
export interface NtpChecker {
  readonly name: string;
  query(host: string, opts: { port: number; timeoutMs: number }): Promise<NtpQueryResult>;
  amp(host: string, opts: { port: number; timeoutMs: number }): Promise<NtpCheckResult>;
}

export interface Probes {
  latency: LatencyProber;
  path: PathProber;
  throughput: ThroughputProber;
  mailq: MailqSource;
  ntp: NtpChecker;
}

export function defaultProbes(
  opts: { mailqSpool?: string; mailqLog?: string; latency?: string } = {},
): Probes {
  return {
    latency: latencyProber(opts.latency ?? 'auto'),
    path: PROBERS.path,
    throughput: {
      ...PROBERS.iperf,
      async server(o) {
        const s = await startServer({ host: o.host, port: o.port, interval: 0 });
        return { port: s.port, close: () => s.close() };
      },
    },
    mailq: mailqModuleSource({ spool: opts.mailqSpool, log: opts.mailqLog }),
    ntp: {
      name: PROBERS.ntp.name,
      query: (host, o) => PROBERS.ntp.probe(host, o),
      amp: (host, o) => PROBERS.amp.probe(host, o),
    },
  };
}

export {
  PROBERS,
  latencyProber,
  splitHostPort,
  type ProberName,
  type HostPort,
} from './registry.js';
export { bufferLog, type Prober, type ProbeContext, type ProbeLog } from './prober.js';
export type { LatencyResult, LatencyTarget, LatencyOptions } from './latency.js';
export type { IperfResult } from './throughput.js';
export type { MailqSource, MailqSnapshot } from './mailq.js';
