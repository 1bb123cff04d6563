/** Samples the local Exim queue: size over time, frozen, top senders, spam sources. */
import type { Job } from '../scheduler.js';
import type { JobContext } from './context.js';

export function mailqJob(ctx: JobContext): Job {
  return {
    name: 'mailq',
    interval: ctx.cfg.mailq.interval,
    timeout: 120,
    async run(signal) {
      const ts = ctx.now();
      const s = await ctx.probes.mailq.sample(signal);
      const { messages, frozen, bytes, oldestAge, ...summary } = s;
      await ctx.store.writeMailq({ site: ctx.site, ts, messages, frozen, bytes, oldestAge, summary });
      const m = ctx.metrics;
      m.mailqMessages.set(messages); m.mailqFrozen.set(frozen); m.mailqBytes.set(bytes); m.mailqOldest.set(oldestAge ?? 0);
    },
  };
}
