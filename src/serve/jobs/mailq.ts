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
      await ctx.store.writeMailq({
        site: ctx.site,
        ts,
        messages,
        frozen,
        bytes,
        oldestAge,
        summary,
      });
      const m = ctx.metrics;
      m.mailqMessages.set(messages);
      m.mailqFrozen.set(frozen);
      m.mailqBytes.set(bytes);
      m.mailqOldest.set(oldestAge ?? 0);
    },
  };
}

/** The spam-sources report (who submitted mail in the last interval), less often than the queue. */
export function mailqSourcesJob(ctx: JobContext): Job | null {
  const src = ctx.probes.mailq;
  if (!src.sources) return null;
  const interval = ctx.cfg.mailq.sourcesInterval;
  return {
    name: 'mailq-sources',
    interval,
    timeout: 600,
    async run(signal) {
      const ts = ctx.now();
      const r = await src.sources!(Math.max(interval, 3600), signal);
      const top = r.top[0];
      await ctx.store.writeCheck({
        site: ctx.site,
        ts,
        kind: 'mailq-sources',
        target: 'mainlog',
        ok: true,
        value: top ? top.messages : 0,
        data: r,
      });
    },
  };
}
