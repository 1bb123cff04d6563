/**
 * ping with iputils semantics for one or many targets at once (fping style: one socket per
 * address family, targets staggered across the interval, one timer for the whole run).
 */
import { performance } from 'node:perf_hooks';
import { EchoEngine, type EchoOutcome } from './echo.js';
import { clockBase, errnoText, type Family } from './probe-socket.js';
import { resolveTarget, type Resolved } from './resolve.js';
import { PingStats } from './stats.js';
import { icmpErrorText } from './icmp-text.js';
import type { SocketBind } from './bind.js';

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

interface Run {
  r: Resolved;
  engine: EchoEngine;
  transmitted: number;
  received: number;
  dups: number;
  corrupted: number;
  errors: number;
  stats: PingStats;
  rtts: (number | null)[];
  answered: Set<number>;
  /** indexes with an echo reply (not errors), for lastNoAnswer */
  replied: Set<number>;
  startMs: number;
  lastSendMs: number;
  nextDue: number;
  sending: boolean;
  done: boolean;
  exitTimer?: NodeJS.Timeout;
}

const nsToEpoch = (ns: number, base: number) => base + ns / 1e9;

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

export async function runPing(resolved: Resolved[], opts: PingOptions): Promise<PingSummary[]> {
  const count = opts.count ?? (opts.deadlineMs ? 0 : 5);
  const interval = opts.intervalMs ?? 1000;
  const timeoutNs = (opts.timeoutMs ?? 1000) * 1e6;
  const lingerMs = opts.timeoutMs ?? 10000;
  const size = opts.size ?? 56;
  const timing = size >= 16;
  const base = clockBase();
  const engines = new Map<Family, EchoEngine>();
  const engineFor = (f: Family) => {
    let e = engines.get(f);
    if (!e) {
      e = new EchoEngine(f, opts.mode, {
        txTimestamps: opts.txTimestamps ?? false,
        bind: opts.bind,
      });
      engines.set(f, e);
    }
    return e;
  };
  const emit = opts.onEvent ?? (() => {});
  const live = opts.onEvent !== undefined;
  const runs: Run[] = [];
  try {
    for (const r of resolved) engineFor(r.family);
  } catch (e) {
    for (const en of engines.values()) en.close();
    throw e;
  }

  return new Promise<PingSummary[]>((resolve) => {
    let finished = 0;
    let timer: NodeJS.Timeout | undefined;
    let deadlineTimer: NodeJS.Timeout | undefined;
    const t0 = performance.now();
    const stagger = resolved.length > 1 ? interval / resolved.length : 0;
    // many targets: send in small bursts (fewer wakeups; replies then arrive as one batch)
    const coalesceMs =
      resolved.length > 20 ? Math.min(resolved.length > 200 ? 20 : 10, interval / 20) : 0;

    let aborted = false;
    const finish = (run: Run) => {
      if (run.done) return;
      const last = run.transmitted - 1;
      if (opts.lastNoAnswer && opts.onEvent && !aborted && last >= 0 && !run.replied.has(last)) {
        emit({ type: 'noanswer', target: run.r.target, seq: last + 1, time: Date.now() / 1000 });
      }
      run.done = true;
      run.sending = false;
      if (run.exitTimer) clearTimeout(run.exitTimer);
      run.engine.remove(run.r.address);
      if (++finished === runs.length) complete();
    };
    const complete = () => {
      if (timer) clearTimeout(timer);
      if (deadlineTimer) clearTimeout(deadlineTimer);
      opts.signal?.removeEventListener('abort', abort);
      for (const e of engines.values()) e.close();
      resolve(runs.map(summary));
    };
    const abort = () => {
      aborted = true;
      for (const run of runs) finish(run);
    };

    const checkDone = (run: Run) => {
      if (opts.untilReply && run.received) finish(run);
      else if (count && run.received + run.errors >= count) finish(run);
      else if (opts.deadlineMs && run.errors) finish(run);
    };

    const onOutcome = (run: Run) => (o: EchoOutcome) => {
      if (run.done) return;
      const seqNo = o.kind === 'error' ? o.seq : o.probe.seq;
      const time = nsToEpoch(o.ev.t, base);
      const idx = seqIndex(run, seqNo);
      switch (o.kind) {
        case 'reply': {
          const us = Math.trunc(o.ev.t / 1000) - Math.trunc(o.probe.sent / 1000);
          run.stats.add(us);
          if (o.dup) run.dups++;
          else {
            run.received++;
            run.answered.add(idx);
            run.replied.add(idx);
            if (idx >= 0) run.rtts[idx] = us / 1e6;
          }
          if (live)
            emit({
              type: 'reply',
              target: run.r.target,
              address: run.r.address,
              from: o.ev.from,
              seq: idx + 1,
              bytes: o.ev.len,
              ttl: o.ev.ttl,
              rttUs: us,
              dup: o.dup,
              time,
              timing,
            });
          break;
        }
        case 'truncated':
          emit({
            type: 'truncated',
            target: run.r.target,
            from: o.ev.from,
            seq: idx + 1,
            bytes: o.ev.len,
            ttl: o.ev.ttl,
            time,
          });
          break;
        case 'corrupted':
          run.corrupted++;
          emit({
            type: 'corrupted',
            target: run.r.target,
            from: o.ev.from,
            seq: idx + 1,
            bytes: o.ev.len,
            time,
          });
          break;
        case 'late':
          emit({
            type: 'late',
            target: run.r.target,
            from: o.ev.from,
            seq: idx + 1,
            rttUs: Math.round((o.ev.t - o.probe.sent) / 1000),
            time,
          });
          break;
        case 'error':
          if (run.answered.has(idx)) break;
          run.errors++;
          run.answered.add(idx);
          emit({
            type: 'error',
            target: run.r.target,
            from: o.ev.from,
            seq: idx + 1,
            icmpType: o.ev.type,
            icmpCode: o.ev.code,
            text: icmpErrorText(run.engine.family, o.ev.type, o.ev.code),
            time,
          });
          break;
      }
      checkDone(run);
    };

    for (let i = 0; i < resolved.length; i++) {
      const r = resolved[i];
      const engine = engineFor(r.family);
      const run: Run = {
        r,
        engine,
        transmitted: 0,
        received: 0,
        dups: 0,
        corrupted: 0,
        errors: 0,
        stats: new PingStats(),
        rtts: [],
        answered: new Set(),
        replied: new Set(),
        startMs: t0,
        lastSendMs: t0,
        nextDue: t0 + i * stagger,
        sending: true,
        done: false,
      };
      runs.push(run);
      engine.add({ address: r.address, size, onOutcome: onOutcome(run) });
    }
    opts.onStart?.(resolved);
    // the due queue stays sorted: every target is re-queued one interval later
    const queue: Run[] = [...runs];
    let head = 0;

    const sendOne = (run: Run, now: number) => {
      const idx = run.transmitted;
      if (opts.onEvent && idx > 0 && !(opts.lastNoAnswer ? run.replied : run.answered).has(idx - 1))
        emit({ type: 'noanswer', target: run.r.target, seq: idx, time: Date.now() / 1000 });
      const seq = (idx + 1) & 0xffff;
      const res = run.engine.send(run.r.address, seq, { ttl: opts.ttl, tos: opts.tos, timeoutNs });
      if (run.transmitted === 0) run.startMs = now;
      run.transmitted++;
      run.lastSendMs = now;
      run.rtts.push(null);
      run.engine.forget(run.r.address, seq - 256);
      if (typeof res === 'number') {
        run.errors++;
        run.answered.add(idx);
        emit({
          type: 'senderror',
          target: run.r.target,
          seq: idx + 1,
          message: errnoText(res),
          time: Date.now() / 1000,
        });
        checkDone(run);
      }
      if (count && run.transmitted >= count && !opts.deadlineMs) {
        run.sending = false;
        const tmaxMs = run.stats.n ? run.stats.tmax / 1000 : 0;
        const waitMs = run.received ? Math.max(2 * tmaxMs, interval) : lingerMs;
        if (!run.done) run.exitTimer = setTimeout(() => finish(run), waitMs);
      }
    };

    const tick = () => {
      timer = undefined;
      const now = performance.now();
      let n = 0;
      while (head < queue.length) {
        const run = queue[head];
        if (run.done || !run.sending) {
          head++;
          continue;
        }
        if (run.nextDue > now + 0.5) break;
        head++;
        // a probe due at (or, after a stall, sent at) the -w deadline is not sent (iputils: -w 1 -i 0.2
        // sends 5, not 6); checked here because this timer and the deadline timer race
        if (opts.deadlineMs && Math.max(run.nextDue, now) - t0 >= opts.deadlineMs - 1) {
          run.sending = false;
          continue;
        }
        sendOne(run, now);
        if (run.sending && !run.done) {
          run.nextDue = Math.max(run.nextDue + interval, now - interval); // no burst after a stall
          queue.push(run);
        }
        if (++n > 10000) break;
      }
      if (head > 4096 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      schedule();
    };
    const schedule = () => {
      if (finished === runs.length) return;
      while (head < queue.length && (queue[head].done || !queue[head].sending)) head++;
      if (head >= queue.length) return;
      const wait = Math.max(queue[head].nextDue - performance.now(), coalesceMs);
      timer = setTimeout(tick, Math.max(0, wait));
    };

    if (opts.signal) {
      if (opts.signal.aborted) {
        abort();
        return;
      }
      opts.signal.addEventListener('abort', abort, { once: true });
    }
    if (opts.deadlineMs) deadlineTimer = setTimeout(abort, opts.deadlineMs);
    tick();
  });

  function seqIndex(run: Run, seq16: number): number {
    // map a 16-bit sequence back to the nearest transmitted index
    const last = run.transmitted;
    let idx = last - 1 - (((last & 0xffff) - seq16 + 0x10000) & 0xffff);
    if (idx < 0) idx = seq16 - 1;
    return idx;
  }

  function summary(run: Run): PingSummary {
    const us = run.stats.n ? run.stats.result() : null;
    const s = (v: number | undefined) => (v === undefined ? null : v / 1e6);
    return {
      target: run.r.target,
      address: run.r.address,
      transmitted: run.transmitted,
      received: run.received,
      duplicates: run.dups,
      corrupted: run.corrupted,
      errors: run.errors,
      lossRatio: run.transmitted ? (run.transmitted - run.received) / run.transmitted : 0,
      rtts: run.rtts,
      min: s(us?.min),
      avg: s(us?.avg),
      max: s(us?.max),
      mdev: s(us?.mdev),
      us,
      timeMs: Math.round(run.lastSendMs - run.startMs),
      size,
    };
  }
}
