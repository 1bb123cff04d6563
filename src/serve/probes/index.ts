/**
 * The probes the agent uses, behind small contracts so the implementations can change without
 * touching the scheduler: src/net, src/iperf, src/mailq and src/ntp; Debian's fping is the
 * latency fallback when the native addon is missing.
 */
import { type LatencyProber } from './latency.js';
import { latencyProber } from './select.js';
import { type PathProber } from './path.js';
import { netPathProber } from './path-net.js';
import { type ThroughputProber } from './throughput.js';
import { iperfModuleProber } from './throughput-iperf.js';
import { type MailqSource } from './mailq.js';
import { mailqModuleSource } from './mailq-module.js';
import { type NtpChecker } from './ntp.js';
import { ntpModuleChecker } from './ntp-module.js';

export interface Probes { latency: LatencyProber; path: PathProber; throughput: ThroughputProber; mailq: MailqSource; ntp: NtpChecker }

export function defaultProbes(opts: { mailqSpool?: string; mailqLog?: string; latency?: string } = {}): Probes {
  return { latency: latencyProber(opts.latency ?? 'auto'), path: netPathProber(), throughput: iperfModuleProber(), mailq: mailqModuleSource({ spool: opts.mailqSpool, log: opts.mailqLog }), ntp: ntpModuleChecker() };
}

export type { LatencyProber, LatencyResult, LatencyTarget } from './latency.js';
export type { PathProber } from './path.js';
export type { ThroughputProber, IperfResult } from './throughput.js';
export type { MailqSource, MailqSnapshot } from './mailq.js';
export type { NtpChecker, NtpResult, AmpResult } from './ntp.js';
