/** The latest path (mtr-style hops) to every target that asks for it, a few at a time. */
import type { Job } from '../scheduler.js';
import type { JobContext } from './context.js';

export function pathJob(ctx: JobContext): Job {
  const { cfg } = ctx;
  return {
    name: 'path',
    interval: cfg.path.interval,
    timeout: Math.max(cfg.path.interval, 300),
    async run(signal) {
      const targets = cfg.targets.filter((t) => t.path);
      let errors = 0;
      const queue = [...targets];
      const worker = async () => {
        for (let t = queue.shift(); t && !signal.aborted; t = queue.shift()) {
          const ts = ctx.now();
          try {
            const { hops, advice } = await ctx.probes.path.path(t.host, { cycles: cfg.path.cycles, signal });
            await ctx.store.writePath({ site: ctx.site, target: t.name, ts, hops, advice });
            ctx.metrics.pathHops.set({ target: t.name }, hops.length);
          } catch (e) {
            errors++;
            await ctx.store.writePath({ site: ctx.site, target: t.name, ts, hops: [], error: (e as Error).message });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(4, targets.length) }, worker));
      if (targets.length && errors === targets.length) throw new Error('no path could be traced');
    },
  };
}
