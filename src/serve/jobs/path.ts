/** The latest path (mtr-style hops) to every target that asks for it, a few at a time. */
import type { Job } from '../scheduler.js';
import type { JobContext } from './context.js';
import { seriesOf } from '../feeds.js';
import type { MtrReport } from '../../net/index.js';
import type { PathHop } from '../../store/index.js';

/** The hops as the path table keeps them: loss as a ratio, no figures for a hop that never answered. */
export function pathHops(r: MtrReport): PathHop[] {
  return r.hops.map((h) => ({
    ttl: h.ttl,
    hosts: h.hosts,
    loss: h.loss / 100,
    sent: h.sent,
    avg: h.received ? h.avg : null,
    best: h.received ? h.best : null,
    worst: h.received ? h.worst : null,
  }));
}

export function pathJob(ctx: JobContext): Job {
  const { cfg } = ctx;
  return {
    name: 'path',
    interval: cfg.path.interval,
    timeout: Math.max(cfg.path.interval, 300),
    async run(signal) {
      const targets = seriesOf(
        cfg.targets.filter((t) => t.path),
        cfg.feeds,
      );
      let errors = 0;
      const queue = [...targets];
      const worker = async () => {
        for (let t = queue.shift(); t && !signal.aborted; t = queue.shift()) {
          const ts = ctx.now();
          try {
            const r = await ctx.probes.path.probe(
              t.host,
              { cycles: cfg.path.cycles, intervalMs: 200, ...(t.bind ? { bind: t.bind } : {}) },
              { signal },
            );
            const hops = pathHops(r);
            const advice = r.advice;
            await ctx.store.writePath({
              site: ctx.site,
              target: t.name,
              ts,
              hops,
              advice,
              ...(t.feed ? { feed: t.feed } : {}),
            });
            ctx.metrics.pathHops.set(
              t.feed ? { target: t.target, feed: t.feed } : { target: t.name },
              hops.length,
            );
          } catch (e) {
            errors++;
            await ctx.store.writePath({
              site: ctx.site,
              target: t.name,
              ts,
              hops: [],
              error: (e as Error).message,
              ...(t.feed ? { feed: t.feed } : {}),
            });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(4, targets.length) }, worker));
      if (targets.length && errors === targets.length) throw new Error('no path could be traced');
    },
  };
}
