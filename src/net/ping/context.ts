/**
 * One ping run's shared state: the settings with their defaults, the echo engine of each address
 * family (one socket per family for all targets), every target's counters, and how targets and
 * the whole run end (count reached, first reply, -w deadline, abort).
 */
import { performance } from 'node:perf_hooks';
import { EchoEngine, type EchoOutcome } from '../echo.js';
import { clockBase, type Family } from '../probe-socket.js';
import type { Resolved } from '../resolve.js';
import { PingStats } from '../stats.js';
import type { PingEvent, PingOptions, PingSummary } from '../ping.js';
import { summarize } from './summary.js';

/** One target's probes and counters. */
export interface Run {
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

export class PingContext {
  readonly count: number;
  readonly interval: number;
  readonly timeoutNs: number;
  /** how long a target with no reply at all waits after its last probe */
  readonly lingerMs: number;
  readonly size: number;
  /** the payload holds a timestamp (iputils prints times only then) */
  readonly timing: boolean;
  /** epoch seconds of the probe clock's zero */
  readonly base: number;
  readonly emit: (e: PingEvent) => void;
  /** someone listens for replies (the reply event is built only then) */
  readonly live: boolean;
  readonly engines = new Map<Family, EchoEngine>();
  readonly runs: Run[] = [];
  finished = 0;
  aborted = false;
  /** the send timer and the -w timer */
  timer: NodeJS.Timeout | undefined;
  deadlineTimer: NodeJS.Timeout | undefined;
  t0 = 0;
  private resolve: (s: PingSummary[]) => void = () => {};

  constructor(readonly opts: PingOptions) {
    this.count = opts.count ?? (opts.deadlineMs ? 0 : 5);
    this.interval = opts.intervalMs ?? 1000;
    this.timeoutNs = (opts.timeoutMs ?? 1000) * 1e6;
    this.lingerMs = opts.timeoutMs ?? 10000;
    this.size = opts.size ?? 56;
    this.timing = this.size >= 16;
    this.base = clockBase();
    this.emit = opts.onEvent ?? (() => {});
    this.live = opts.onEvent !== undefined;
  }

  engineFor(f: Family): EchoEngine {
    let e = this.engines.get(f);
    if (!e) {
      e = new EchoEngine(f, this.opts.mode, {
        txTimestamps: this.opts.txTimestamps ?? false,
        bind: this.opts.bind,
      });
      this.engines.set(f, e);
    }
    return e;
  }

  /** The sockets, before anything is sent: one that cannot be opened closes the others. */
  openEngines(resolved: Resolved[]): void {
    try {
      for (const r of resolved) this.engineFor(r.family);
    } catch (e) {
      for (const en of this.engines.values()) en.close();
      throw e;
    }
  }

  /** Starts the clock and registers every target, staggered across the interval; resolve gets the summaries. */
  begin(
    resolved: Resolved[],
    resolve: (s: PingSummary[]) => void,
    onOutcome: (run: Run) => (o: EchoOutcome) => void,
  ): void {
    this.resolve = resolve;
    const t0 = performance.now();
    this.t0 = t0;
    const stagger = resolved.length > 1 ? this.interval / resolved.length : 0;
    for (let i = 0; i < resolved.length; i++) {
      const r = resolved[i];
      const engine = this.engineFor(r.family);
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
      this.runs.push(run);
      engine.add({ address: r.address, size: this.size, onOutcome: onOutcome(run) });
    }
  }

  /** A target is done: its last "no answer" (fping -c), its timers, its slot in the engine. */
  finish(run: Run): void {
    if (run.done) return;
    const { opts } = this;
    const last = run.transmitted - 1;
    if (opts.lastNoAnswer && opts.onEvent && !this.aborted && last >= 0 && !run.replied.has(last)) {
      this.emit({ type: 'noanswer', target: run.r.target, seq: last + 1, time: Date.now() / 1000 });
    }
    run.done = true;
    run.sending = false;
    if (run.exitTimer) clearTimeout(run.exitTimer);
    run.engine.remove(run.r.address);
    if (++this.finished === this.runs.length) this.complete();
  }

  /** Every target is done: stop the timers, close the sockets, hand over the summaries. */
  private complete(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.opts.signal?.removeEventListener('abort', this.abort);
    for (const e of this.engines.values()) e.close();
    this.resolve(this.runs.map((run) => summarize(run, this.size)));
  }

  readonly abort = (): void => {
    this.aborted = true;
    for (const run of this.runs) this.finish(run);
  };

  /** After each answer or failed send: is this target done? */
  checkDone(run: Run): void {
    const { opts } = this;
    if (opts.untilReply && run.received) this.finish(run);
    else if (this.count && run.received + run.errors >= this.count) this.finish(run);
    else if (opts.deadlineMs && run.errors) this.finish(run);
  }
}
