/**
 * Periodic queue snapshots for `watch`: size, frozen, oldest, growth rate and top senders.
 * The caller renders them; reading slows itself down on big queues (never more than half the
 * time is spent reading).
 */
import { readQueue } from './spool-read.js';
import { summarize, type TopRow } from './summary.js';

export interface WatchSnapshot {
  time: number;
  messages: number;
  volume: number;
  frozen: number;
  bounces: number;
  oldest: number | null;
  /** Messages per minute since the previous snapshot (null on the first). */
  growthPerMin: number | null;
  /** Messages per minute over the whole watch. */
  averagePerMin: number | null;
  topSenders: TopRow[];
  topDomains: { domain: string; count: number }[];
  readSeconds: number;
}

export interface WatchOptions {
  intervalSeconds?: number;
  iterations?: number;
  signal?: AbortSignal;
  top?: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

export async function* watchQueue(
  spool: string,
  opts: WatchOptions = {},
): AsyncGenerator<WatchSnapshot> {
  const interval = (opts.intervalSeconds ?? 2) * 1000;
  let prev: { t: number; n: number } | null = null;
  let first: { t: number; n: number } | null = null;
  for (let i = 0; opts.iterations === undefined || i < opts.iterations; i++) {
    if (opts.signal?.aborted) return;
    const t0 = Date.now();
    const msgs = await readQueue(spool);
    const took = Date.now() - t0;
    const s = summarize(msgs, { top: opts.top ?? 5 });
    const now = Date.now();
    const rate = (a: { t: number; n: number } | null) =>
      a && now > a.t ? ((s.messages - a.n) * 60000) / (now - a.t) : null;
    yield {
      time: Math.floor(now / 1000),
      messages: s.messages,
      volume: s.volume,
      frozen: s.frozen,
      bounces: s.bounces,
      oldest: s.oldest,
      growthPerMin: rate(prev),
      averagePerMin: rate(first),
      topSenders: s.senders,
      topDomains: [...s.domains]
        .sort((a, b) => b.count - a.count)
        .slice(0, opts.top ?? 5)
        .map((d) => ({ domain: d.domain, count: d.count })),
      readSeconds: took / 1000,
    };
    prev = { t: now, n: s.messages };
    first ??= prev;
    if (opts.iterations !== undefined && i + 1 >= opts.iterations) return;
    await sleep(Math.max(interval, took * 2), opts.signal);
  }
}
