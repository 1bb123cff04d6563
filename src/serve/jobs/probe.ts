/** A `probes:` entry on its own schedule: one run per interval, stored, on /metrics, judged by the alert rules. */
import type { ProbeConfig } from '../../config/index.js';
import type { Job } from '../scheduler.js';
import type { JobContext } from './context.js';
import { runProbe } from './probe-run.js';

export function probeJob(ctx: JobContext, p: ProbeConfig): Job {
  return {
    name: `probe:${p.name}`,
    interval: p.interval,
    timeout: p.timeout + 30,
    async run(signal) {
      const ts = ctx.now();
      const row = await runProbe(p, () => {}, signal);
      ctx.metrics.probes.set(row);
      // a failed probe is a measurement, not a failed job: its SLA says whether it matters
      await ctx.store.writeProbe({ site: ctx.site, ts, ...row });
    },
  };
}
