/**
 * ping with iputils semantics for one or many targets at once (fping style: one socket per
 * address family, targets staggered across the interval, one timer for the whole run).
 */
import type { Family } from './probe-socket.js';
import { resolveTarget, type Resolved } from './resolve.js';
import type { SocketBind } from './bind.js';
import { PingContext } from './ping/context.js';
import { onOutcome } from './ping/receive.js';
import { Sender } from './ping/send.js';

export interface PingOptions {
  /** probes per target; 0 or undefined with deadlineMs = until the deadline; default 5 (API) */
  count?: number;
  intervalMs?: number;
  /** a reply later than this after its probe is late and not counted (iputils -W); default 1000 */
  timeoutMs?: number;
  /** stop everything after this long (iputils -w) */
  deadlineMs?: number;
  /** payload bytes (iputils -s), default 56 */
  size?: number;
  ttl?: number;
  tos?: number;
  family?: Family;
  signal?: AbortSignal;
  /** socket choice: raw ICMP, ICMP datagram (ping_group_range) or raw then datagram */
  mode?: 'auto' | 'raw' | 'dgram';
  /**
   * take send times from the kernel (SO_TIMESTAMPING TX) instead of the clock just before sendto
   * (what iputils does); excludes our own send path from the RTT, costs one more message per probe.
   * Default off, so figures agree with ping's.
   */
  txTimestamps?: boolean;
  /** stop probing a target at its first reply (fping's default mode: count is then the tries) */
  untilReply?: boolean;
  /**
   * fping -c's "timed out": a `noanswer` for every probe without an echo reply (an ICMP error does
   * not count as one), the last one included when the target is done; none after an abort
   */
  lastNoAnswer?: boolean;
  /** source address / interface / fwmark of the probes (iputils -I, -m; a transit feed) */
  bind?: SocketBind;
  /** per-packet events, for a live view */
  onEvent?: (e: PingEvent) => void;
  /** call back once the first probe of each target is about to go (CLI header lines) */
  onStart?: (targets: Resolved[]) => void;
}

export type PingEvent =
  | {
      type: 'reply';
      target: string;
      address: string;
      from: string;
      seq: number;
      bytes: number;
      ttl: number;
      rttUs: number;
      dup: boolean;
      time: number;
      timing: boolean;
    }
  | {
      type: 'truncated';
      target: string;
      from: string;
      seq: number;
      bytes: number;
      ttl: number;
      time: number;
    }
  | { type: 'corrupted'; target: string; from: string; seq: number; bytes: number; time: number }
  | { type: 'late'; target: string; from: string; seq: number; rttUs: number; time: number }
  | {
      type: 'error';
      target: string;
      from: string;
      seq: number;
      icmpType: number;
      icmpCode: number;
      text: string;
      time: number;
    }
  | { type: 'noanswer'; target: string; seq: number; time: number }
  | { type: 'senderror'; target: string; seq: number; message: string; time: number };

export interface PingSummary {
  target: string;
  address: string;
  transmitted: number;
  received: number;
  duplicates: number;
  corrupted: number;
  errors: number;
  lossRatio: number;
  /** RTT per sequence in seconds, null = lost */
  rtts: (number | null)[];
  min: number | null;
  avg: number | null;
  max: number | null;
  mdev: number | null;
  /** the same figures in integer µs as ping prints them */
  us: { min: number; avg: number; max: number; mdev: number } | null;
  /** ping's "time" field: first to last transmission, ms */
  timeMs: number;
  /** payload bytes, for the summary lines */
  size: number;
  /** set when the target could not be probed at all (bad name); nothing was sent */
  error?: string;
}

/**
 * Ping many targets; resolves with one summary per target, in input order. With `tolerant`, a
 * target that does not resolve gets a summary with `error` and the others still run.
 */
export async function pingTargets(
  targets: string[],
  opts: PingOptions = {},
  tolerant = false,
): Promise<PingSummary[]> {
  const settled = await Promise.allSettled(targets.map((t) => resolveTarget(t, opts.family)));
  if (!tolerant) for (const r of settled) if (r.status === 'rejected') throw r.reason;
  const ok = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const res = ok.length ? await runPing(ok, opts) : [];
  let i = 0;
  return settled.map((r, k) =>
    r.status === 'fulfilled'
      ? res[i++]
      : {
          target: targets[k],
          address: '',
          transmitted: 0,
          received: 0,
          duplicates: 0,
          corrupted: 0,
          errors: 0,
          lossRatio: 1,
          rtts: [],
          min: null,
          avg: null,
          max: null,
          mdev: null,
          us: null,
          timeMs: 0,
          size: opts.size ?? 56,
          error: (r.reason as Error)?.message ?? String(r.reason),
        },
  );
}

/**
 * Ping resolved targets: open one socket per family (ping/context.ts), register the targets,
 * then the send loop (ping/send.ts) and the matched replies (ping/receive.ts) run until every
 * target is done; one summary per target (ping/summary.ts), in input order.
 */
export async function runPing(resolved: Resolved[], opts: PingOptions): Promise<PingSummary[]> {
  const p = new PingContext(opts);
  p.openEngines(resolved);
  return new Promise<PingSummary[]>((resolve) => {
    p.begin(resolved, resolve, (run) => (o) => onOutcome(p, run, o));
    opts.onStart?.(resolved);
    const sender = new Sender(p);
    if (opts.signal) {
      if (opts.signal.aborted) {
        p.abort();
        return;
      }
      opts.signal.addEventListener('abort', p.abort, { once: true });
    }
    if (opts.deadlineMs) p.deadlineTimer = setTimeout(p.abort, opts.deadlineMs);
    sender.tick();
  });
}
