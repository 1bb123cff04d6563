/**
 * Job and check series from the moment the agent starts: after a restart the scheduler knows each
 * job's persisted state and the store the last NTP, amplification and queue results, so
 * hostops_job_consecutive_failures, hostops_ntp_up and friends are there before the jobs run
 * again (an alert on an absent series stays silent).
 */
import type { Agent } from './agent.js';

/** Every job's run counters and failure count from its persisted state (right after the scheduler loaded it). */
export function seedJobMetrics(agent: Agent, onlyJobs: string[] | null = null): void {
  const m = agent.metrics;
  for (const s of agent.scheduler.states()) {
    if (onlyJobs && !onlyJobs.includes(s.job)) continue;
    for (const result of ['success', 'failure']) m.jobRuns.inc({ task: s.job, result }, 0);
    m.jobFailures.set({ task: s.job }, s.failures);
    if (s.failures === 0 && s.lastRun != null) m.jobLastSuccess.set({ task: s.job }, s.lastRun);
  }
}

/** The last NTP, amplification and queue results from the store (before the jobs start, so never over a newer value). */
export async function seedCheckMetrics(agent: Agent): Promise<void> {
  const m = agent.metrics;
  const { cfg, store } = agent;
  try {
    if (cfg.ntp.enabled) {
      const c = (await store.latestChecks('ntp', cfg.site)).find((x) => x.target === cfg.ntp.host);
      const d = c?.data as
        | { offset?: number; delay?: number; stratum?: number; error?: string }
        | null
        | undefined;
      if (c && d) {
        const l = { server: cfg.ntp.host };
        m.ntpUp.set(l, d.error || c.value == null ? 0 : 1);
        if (!d.error) {
          if (d.offset != null) m.ntpOffset.set(l, d.offset);
          if (d.delay != null) m.ntpDelay.set(l, d.delay);
          if (d.stratum != null) m.ntpStratum.set(l, d.stratum);
        }
      }
    }
    if (cfg.amp.enabled) {
      for (const c of await store.latestChecks('amp', cfg.site)) {
        if (cfg.amp.targets.includes(c.target))
          m.ampExposed.set({ target: c.target }, c.ok ? 0 : 1);
      }
    }
    if (agent.jobs.some((j) => j.name === 'mailq')) {
      const q = await store.latestMailq(cfg.site);
      if (q) {
        m.mailqMessages.set(q.messages);
        m.mailqFrozen.set(q.frozen);
        m.mailqBytes.set(q.bytes);
        m.mailqOldest.set(q.oldestAge ?? 0);
      }
    }
  } catch {
    /* database away: the jobs fill these in when they run */
  }
}
