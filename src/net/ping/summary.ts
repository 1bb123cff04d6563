import type { PingSummary } from '../ping.js';
import type { Run } from './context.js';

/** One target's figures as ping prints them; RTTs in seconds, and in integer µs in `us`. */
export function summarize(run: Run, size: number): PingSummary {
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
