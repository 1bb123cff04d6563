/**
 * Library API of the net module (see docs/net.md): ping, pingMany, trace, mtr. No printing;
 * all times in seconds. `pingMany` shares one socket per address family across all targets.
 */
import { pingTargets, type PingEvent, type PingOptions, type PingSummary } from './ping.js';

export type { PingOptions, PingSummary, PingEvent } from './ping.js';
export {
  trace,
  type TraceOptions,
  type TraceResult,
  type TraceHop,
  type TraceProbe,
} from './trace.js';
export { mtr, MtrSession, type MtrOptions, type MtrReport, type MtrHop } from './mtr.js';
export { discoverEcmp, type EcmpResult } from './ecmp.js';
export { advise } from './advice.js';
export { EchoEngine } from './echo.js';

export interface ApiPingOptions {
  count?: number;
  intervalMs?: number;
  timeoutMs?: number;
  size?: number;
  family?: 4 | 6;
  signal?: AbortSignal;
  /** per-packet results as they happen (a stream for live views) */
  onEvent?: PingOptions['onEvent'];
  ttl?: number;
  tos?: number;
  deadlineMs?: number;
  /** send time from the kernel's TX timestamp instead of the clock before sendto */
  txTimestamps?: boolean;
  /** source address / interface / fwmark of the probes (a transit feed) */
  bind?: PingOptions['bind'];
}

/** Ping one target: `count` probes (default 5) every `intervalMs` (default 1000). */
export async function ping(target: string, opts: ApiPingOptions = {}): Promise<PingSummary> {
  const [s] = await pingTargets([target], opts);
  return s;
}

/**
 * Ping many targets at once over one socket per family, staggered across the interval. A target
 * that cannot be resolved gets a summary with `error` set; the others still run.
 */
export async function pingMany(
  targets: string[],
  opts: ApiPingOptions = {},
): Promise<PingSummary[]> {
  if (targets.length === 0) return [];
  return pingTargets(targets, opts, true);
}

/**
 * The same run as pingMany as a stream: every per-packet event as it happens, then one
 * `{ type: 'done', summaries }`. Stop early with `opts.signal`.
 */
export async function* pingStream(
  targets: string[],
  opts: ApiPingOptions = {},
): AsyncGenerator<PingEvent | { type: 'done'; summaries: PingSummary[] }> {
  const queue: PingEvent[] = [];
  let wake: (() => void) | undefined;
  let done: PingSummary[] | undefined;
  let failed: unknown;
  void pingTargets(
    targets,
    {
      ...opts,
      onEvent: (e) => {
        queue.push(e);
        wake?.();
      },
    },
    true,
  )
    .then(
      (s) => {
        done = s;
      },
      (e) => {
        failed = e;
      },
    )
    .finally(() => wake?.());
  while (true) {
    while (queue.length) yield queue.shift()!;
    if (failed) throw failed;
    if (done) {
      yield { type: 'done', summaries: done };
      return;
    }
    await new Promise<void>((r) => {
      wake = r;
    });
    wake = undefined;
  }
}
