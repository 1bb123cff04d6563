/** Rounds of pings to every target (SmokePing-style: `count` pings spread over the interval). */
import type { Job } from '../scheduler.js';
import type { JobContext } from './context.js';
import { byFeed, seriesOf } from '../feeds.js';
import type { LatencyResult } from '../probes/index.js';
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
      const series = seriesOf(cfg.targets, cfg.feeds);
      if (!series.length) return;
      const ts = ctx.now();
      // one run per way out (the default route, then each feed), all at the same time
      const feedOf = new Map(series.map((s) => [s.name, s]));
      const runs = [...byFeed(series)].map(([, group]) =>
        ctx.probes.latency
          .probe(
            group.map((s) => ({ name: s.name, host: s.host })),
            {
              count,
              intervalMs,
              timeoutMs: cfg.ping.timeout * 1000,
              signal,
              ...(group[0].bind ? { bind: group[0].bind } : {}),
            },
            { signal },
          )
          .catch((e: Error): LatencyResult[] =>
            group.map((s) => ({
              target: s.name,
              host: s.host,
              sent: 0,
              received: 0,
              rtts: [],
              error: e.message,
            })),
          ),
      );
      const results = (await Promise.all(runs)).flat();
      // A round cut short (agent stopping, job timeout) is not a round: the prober returns what it
      // had sent so far, and the probe sent just before the abort never had its chance to be
      // answered, so storing it would record a short round with made-up loss (and no median when
      // the abort came right after the first probe). The scheduler does not count a stop as a run.
      if (signal.aborted)
        throw signal.reason instanceof Error ? signal.reason : new Error('ping round aborted');
      const rows = results.map((r) => {
        const feed = feedOf.get(r.target)?.feed;
        return {
          site: ctx.site,
          target: r.target,
          ts,
          sent: r.sent,
          received: r.received,
          rtts: r.rtts,
          ...(feed ? { feed } : {}),
        };
      });
      await ctx.store.writePings(rows.filter((r) => r.sent > 0));
      const m = ctx.metrics;
      // bounded /metrics: per-target series only up to ping.metricsTargets; groups always
      const perTarget = cfg.targets.length <= cfg.ping.metricsTargets;
      // each round's median once, for its own gauge and its group's
      const medians = results.map((r) =>
        r.rtts.length ? middle([...r.rtts].sort((a, b) => a - b)) : null,
      );
      // a feed's series count in its target's group
      recordGroups(
        m,
        cfg.targets,
        results.map((r, i) => ({
          target: feedOf.get(r.target)?.target ?? r.target,
          sent: r.sent,
          received: r.received,
          median: medians[i],
        })),
      );
      for (const [i, r] of results.entries()) {
        const s = feedOf.get(r.target);
        // a feed's series: the target's own name and a feed label (no label without feeds, as before)
        const l = s?.feed
          ? { target: s.target, host: r.host, feed: s.feed }
          : { target: r.target, host: r.host };
        if (r.sent === 0 || !perTarget) continue;
        m.pingSent.inc(l, r.sent);
        m.pingReceived.inc(l, r.received);
        m.pingLoss.set(l, 1 - r.received / r.sent);
        for (const x of r.rtts) m.pingRtt.observe(l, x);
        const median = medians[i];
        if (median !== null) m.pingMedian.set(l, median);
      }
      // keep the overview current: fold the new rounds into the rollups right away
      await ctx.store
        .rollup(ctx.site)
        .catch((e) => ctx.log(`rollup deferred: ${(e as Error).message}`));
      const failed = results.filter((r) => r.sent === 0);
      if (failed.length) ctx.unprobed?.(ts, failed);
      if (failed.length === results.length)
        throw new Error(`no target could be probed: ${failed[0]?.error ?? 'unknown error'}`);
    },
  };
}

/** Per-group summaries of a round: targets without a group are "(none)". */
function recordGroups(
  m: JobContext['metrics'],
  targets: { name: string; group?: string }[],
  rounds: { target: string; sent: number; received: number; median: number | null }[],
): void {
  const groupOf = new Map(targets.map((t) => [t.name, t.group ?? '(none)']));
  const acc = new Map<string, { sent: number; received: number; medians: number[] }>();
  for (const r of rounds) {
    const g = groupOf.get(r.target) ?? '(none)';
    const a = acc.get(g) ?? { sent: 0, received: 0, medians: [] };
    a.sent += r.sent;
    a.received += r.received;
    if (r.median !== null) a.medians.push(r.median);
    acc.set(g, a);
  }
  for (const [group, a] of acc) {
    if (!a.sent) continue;
    m.pingGroupSent.inc({ group }, a.sent);
    m.pingGroupReceived.inc({ group }, a.received);
    m.pingGroupLoss.set({ group }, 1 - a.received / a.sent);
    m.pingGroupTargets.set({ group }, a.medians.length);
    if (a.medians.length) m.pingGroupMedian.set({ group }, middle(a.medians.sort((x, y) => x - y)));
  }
}
