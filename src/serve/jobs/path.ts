/** The latest path (mtr-style hops) to every target that asks for it, a few at a time. */
import type { Job } from '../scheduler.js';
import type { JobContext } from './context.js';
import { seriesOf } from '../feeds.js';

export function pathJob(ctx: JobContext): Job {
  const { cfg } = ctx;
  return {
    name: 'path',
    interval: cfg.path.interval,
    timeout: Math.max(cfg.path.interval, 300),
    async run(signal) {
      const targets = seriesOf(cfg.targets.filter((t) => t.path), cfg.feeds);
      let errors = 0;
      const queue = [...targets];
      const worker = async () => {
        for (let t = queue.shift(); t && !signal.aborted; t = queue.shift()) {
          const ts = ctx.now();
          try {
            const { hops, advice } = await ctx.probes.path.path(t.host, { cycles: cfg.path.cycles, signal, ...(t.bind ? { bind: t.bind } : {}) });
            await ctx.store.writePath({ site: ctx.site, target: t.name, ts, hops, advice, ...(t.feed ? { feed: t.feed } : {}) });
            ctx.metrics.pathHops.set(t.feed ? { target: t.target, feed: t.feed } : { target: t.name }, hops.length);
          } catch (e) {
            errors++;
            await ctx.store.writePath({ site: ctx.site, target: t.name, ts, hops: [], error: (e as Error).message, ...(t.feed ? { feed: t.feed } : {}) });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(4, targets.length) }, worker));
      if (targets.length && errors === targets.length) throw new Error('no path could be traced');
    },
  };
}
