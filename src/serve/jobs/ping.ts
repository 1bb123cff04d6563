/** Rounds of pings to every target (SmokePing-style: `count` pings spread over the interval). */
import type { Job } from '../scheduler.js';
import type { JobContext } from './context.js';
import { middle } from '../../lib/percentile.js';

export function pingJob(ctx: JobContext): Job {
  const { cfg } = ctx;
  const count = cfg.ping.count;
  const intervalMs = Math.max(10, Math.min(1000, Math.floor((cfg.ping.interval * 1000) / count)));
  return {
    name: 'ping',
    interval: cfg.ping.interval,
    jitter: 0.02,
    timeout: cfg.ping.interval * 3 + 30,
    async run(signal) {
      const targets = cfg.targets.map((t) => ({ name: t.name, host: t.host }));
      if (!targets.length) return;
      const ts = ctx.now();
      const results = await ctx.probes.latency.probe(targets, { count, intervalMs, timeoutMs: cfg.ping.timeout * 1000, signal });
      // A round cut short (agent stopping, job timeout) is not a round: the prober returns what it
      // had sent so far, and the probe sent just before the abort never had its chance to be
      // answered, so storing it would record a short round with made-up loss (and no median when
      // the abort came right after the first probe). The scheduler does not count a stop as a run.
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('ping round aborted');
      const rows = results.map((r) => ({ site: ctx.site, target: r.target, ts, sent: r.sent, received: r.received, rtts: r.rtts }));
      await ctx.store.writePings(rows.filter((r) => r.sent > 0));
      const m = ctx.metrics;
      for (const r of results) {
        const l = { target: r.target, host: r.host };
        if (r.sent === 0) continue;
        m.pingSent.inc(l, r.sent);
        m.pingReceived.inc(l, r.received);
        m.pingLoss.set(l, 1 - r.received / r.sent);
        for (const x of r.rtts) m.pingRtt.observe(l, x);
        const sorted = [...r.rtts].sort((a, b) => a - b);
        if (sorted.length) m.pingMedian.set(l, middle(sorted));
      }
      // keep the overview current: fold the new rounds into the rollups right away
      await ctx.store.rollup(ctx.site).catch((e) => ctx.log(`rollup deferred: ${(e as Error).message}`));
      const failed = results.filter((r) => r.sent === 0);
      if (failed.length) ctx.unprobed?.(ts, failed);
      if (failed.length === results.length) throw new Error(`no target could be probed: ${failed[0]?.error ?? 'unknown error'}`);
    },
  };
}
