/** Rollups, retention and planner statistics; they run even when no probe writes (e.g. after a spool replay). */
import type { Job } from '../scheduler.js';
import type { JobContext } from './context.js';

export function rollupJob(ctx: JobContext): Job {
  return {
    name: 'rollup',
    interval: ctx.cfg.store.rollupInterval,
    timeout: 300,
    run: async () => {
      await ctx.store.rollup(ctx.site);
    },
  };
}

/** On PostgreSQL the prune also makes the ping partitions ahead and drops whole old days for the fleet (store/pg-history.ts). */
export function pruneJob(ctx: JobContext): Job {
  return {
    name: 'prune',
    interval: 3600,
    timeout: 600,
    run: async () => {
      await ctx.store.prune(ctx.now(), ctx.cfg.store.retention, ctx.cfg.site);
      await ctx.store.maintain();
      // say who keeps the fleet's old days on disk: a site in the inventory that has not declared
      const held = (await ctx.store.retentionHoldouts?.(ctx.now())) ?? [];
      if (held.length)
        ctx.log(
          `raw retention held back by site(s) that have not declared theirs: ${held.map((h) => `${h.site} (until ${new Date(h.until * 1000).toISOString()})`).join(', ')}`,
        );
    },
  };
}
