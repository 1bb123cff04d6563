/**
 * The send loop: one timer for the whole run over a due queue kept in order (every target is
 * re-queued one interval later), small bursts when there are many targets, and the -w deadline.
 */
import { performance } from 'node:perf_hooks';
import { errnoText } from '../probe-socket.js';
import type { PingContext, Run } from './context.js';

export class Sender {
  // the due queue stays sorted: every target is re-queued one interval later
  private readonly queue: Run[];
  private head = 0;
  /** many targets: send in small bursts (fewer wakeups; replies then arrive as one batch) */
  private readonly coalesceMs: number;

  constructor(private readonly p: PingContext) {
    this.queue = [...p.runs];
    const n = p.runs.length;
    this.coalesceMs = n > 20 ? Math.min(n > 200 ? 20 : 10, p.interval / 20) : 0;
  }

  /** Sends every probe that is due, then sleeps until the next one. */
  readonly tick = (): void => {
    const { p, queue } = this;
    const { opts, interval, t0 } = p;
    p.timer = undefined;
    const now = performance.now();
    let n = 0;
    while (this.head < queue.length) {
      const run = queue[this.head];
      if (run.done || !run.sending) {
        this.head++;
        continue;
      }
      if (run.nextDue > now + 0.5) break;
      this.head++;
      // a probe due at (or, after a stall, sent at) the -w deadline is not sent (iputils: -w 1 -i 0.2
      // sends 5, not 6); checked here because this timer and the deadline timer race
      if (opts.deadlineMs && Math.max(run.nextDue, now) - t0 >= opts.deadlineMs - 1) {
        run.sending = false;
        continue;
      }
      this.sendOne(run, now);
      if (run.sending && !run.done) {
        run.nextDue = Math.max(run.nextDue + interval, now - interval); // no burst after a stall
        queue.push(run);
      }
      if (++n > 10000) break;
    }
    if (this.head > 4096 && this.head * 2 > queue.length) {
      queue.splice(0, this.head);
      this.head = 0;
    }
    this.schedule();
  };

  private schedule(): void {
    const { p, queue } = this;
    if (p.finished === p.runs.length) return;
    while (this.head < queue.length && (queue[this.head].done || !queue[this.head].sending))
      this.head++;
    if (this.head >= queue.length) return;
    const wait = Math.max(queue[this.head].nextDue - performance.now(), this.coalesceMs);
    p.timer = setTimeout(this.tick, Math.max(0, wait));
  }

  private sendOne(run: Run, now: number): void {
    const { p } = this;
    const { opts, emit, count } = p;
    const idx = run.transmitted;
    if (opts.onEvent && idx > 0 && !(opts.lastNoAnswer ? run.replied : run.answered).has(idx - 1))
      emit({ type: 'noanswer', target: run.r.target, seq: idx, time: Date.now() / 1000 });
    const seq = (idx + 1) & 0xffff;
    const res = run.engine.send(run.r.address, seq, {
      ttl: opts.ttl,
      tos: opts.tos,
      timeoutNs: p.timeoutNs,
    });
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
      p.checkDone(run);
    }
    // count sent: the target ends after its last reply could still come (iputils' linger)
    if (count && run.transmitted >= count && !opts.deadlineMs) {
      run.sending = false;
      const tmaxMs = run.stats.n ? run.stats.tmax / 1000 : 0;
      const waitMs = run.received ? Math.max(2 * tmaxMs, p.interval) : p.lingerMs;
      if (!run.done) run.exitTimer = setTimeout(() => p.finish(run), waitMs);
    }
  }
}
