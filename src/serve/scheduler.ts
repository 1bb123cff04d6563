/**
 * Runs jobs at intervals: jittered, never two runs of one job at once, exponential backoff after
 * failures, and the last/next run times persisted so a restarted agent resumes its schedule
 * instead of firing everything at once (or forgetting a six-hourly iperf3 test).
 */
import type { JobState, Store } from '../store/index.js';

export interface Job {
  name: string;
  /** Seconds between starts. */
  interval: number;
  /** Fraction of the interval each start may move by (default 0.1). */
  jitter?: number;
  /** Abort a run after this many seconds (default: max(interval, 60)). */
  timeout?: number;
  /** Longest wait after repeated failures (default: max(interval, 900) seconds). */
  maxBackoff?: number;
  run(signal: AbortSignal): Promise<void>;
}

export interface JobEvent {
  job: string;
  ok: boolean;
  start: number;
  duration: number;
  error?: string;
  failures: number;
  nextRun: number;
}

export interface SchedulerOptions {
  store: Store;
  site: string;
  now?: () => number;
  random?: () => number;
  onRun?: (e: JobEvent) => void;
  /** Longest initial delay of a job that never ran (seconds), so a first start shows data soon. */
  firstRunSpread?: number;
}

interface Entry {
  job: Job;
  state: JobState;
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
  abort: AbortController | null;
  removed: boolean;
}

/** Delay after `failures` consecutive failures: interval·2^(failures-1), capped. */
export function backoffDelay(job: Job, failures: number): number {
  const cap = job.maxBackoff ?? Math.max(job.interval, 900);
  return Math.min(cap, job.interval * 2 ** Math.max(0, failures - 1));
}

export class Scheduler {
  private entries = new Map<string, Entry>();
  /** Runs of removed jobs still winding down; stop() waits for them too. */
  private draining = new Set<Promise<void>>();
  private stopped = true;
  private now: () => number;
  private random: () => number;

  constructor(private o: SchedulerOptions) {
    this.now = o.now ?? (() => Date.now() / 1000);
    this.random = o.random ?? Math.random;
  }

  add(job: Job): void {
    this.entry(job);
  }

  private entry(job: Job): Entry {
    if (this.entries.has(job.name)) throw new Error(`job ${job.name} is already scheduled`);
    const e: Entry = {
      job,
      state: {
        site: this.o.site,
        job: job.name,
        lastRun: null,
        nextRun: null,
        failures: 0,
        lastError: null,
      },
      timer: null,
      running: null,
      abort: null,
      removed: false,
    };
    this.entries.set(job.name, e);
    return e;
  }

  private async savedStates(): Promise<Map<string, JobState>> {
    let saved: JobState[] = [];
    try {
      saved = await this.o.store.jobStates(this.o.site);
    } catch {
      /* database away: start fresh, the spool keeps new state */
    }
    return new Map(saved.map((s) => [s.job, s]));
  }

  /** First timer of a job: its persisted plan when it has one, else soon with jitter. */
  private plan(e: Entry, s: JobState | undefined, now: number): void {
    if (s) e.state = { ...s };
    let next: number;
    // resume as planned, but no later than one interval after the last run: a config edited while
    // the agent was down (1h -> 2m) takes effect now, not after the old plan (backoff is kept)
    if (s?.nextRun != null && s.nextRun > now) {
      next =
        s.failures || s.lastRun == null
          ? s.nextRun
          : Math.max(
              now,
              Math.min(s.nextRun, s.lastRun + e.job.interval * (1 + (e.job.jitter ?? 0.1))),
            );
    } else if (s?.nextRun != null)
      next = now + this.random() * Math.min(5, e.job.interval * (e.job.jitter ?? 0.1)); // overdue: soon, spread
    else next = now + this.random() * Math.min(this.o.firstRunSpread ?? 3, e.job.interval);
    e.state.nextRun = next;
    this.arm(e);
  }

  /** Load persisted state and arm every job. */
  async start(): Promise<void> {
    this.stopped = false;
    const byName = await this.savedStates();
    const now = this.now();
    for (const e of this.entries.values()) this.plan(e, byName.get(e.job.name), now);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * Add a job to a running scheduler (a config reload): it resumes a persisted plan of the same
   * name (a peer removed and added back) or starts like a new job, within the first-run spread.
   */
  async schedule(job: Job): Promise<void> {
    const e = this.entry(job);
    if (this.stopped) return;
    const s = (await this.savedStates()).get(job.name);
    if (this.entries.get(job.name) !== e || e.removed) return; // removed again meanwhile
    this.plan(e, s, this.now());
  }

  /**
   * Swap a job's definition and keep its state (last run, failures). A run in progress finishes
   * with the old definition; the next one uses the new. When the interval changed, the next run
   * comes no later than one new interval after the last run (so 1h -> 20s does not wait an hour).
   */
  replace(job: Job): Promise<void> {
    const e = this.entries.get(job.name);
    if (!e) throw new Error(`job ${job.name} is not scheduled`);
    const old = e.job;
    e.job = job;
    if (job.interval !== old.interval && !e.running && e.state.nextRun != null) {
      const now = this.now();
      const base = e.state.lastRun ?? now;
      const j = job.interval * (job.jitter ?? 0.1) * (this.random() * 2 - 1);
      e.state.nextRun = Math.max(now, Math.min(e.state.nextRun, base + job.interval + j));
      this.arm(e);
    }
    return e.running ?? Promise.resolve();
  }

  /** Stop scheduling a job; a run in progress is aborted and counts neither as a run nor a failure. */
  remove(name: string): Promise<void> {
    const e = this.entries.get(name);
    if (!e) return Promise.resolve();
    this.entries.delete(name);
    e.removed = true;
    if (e.timer) {
      clearTimeout(e.timer);
      e.timer = null;
    }
    if (e.abort) e.abort.abort(new Error(`job ${name} removed by a config reload`));
    if (!e.running) return Promise.resolve();
    const done = e.running.catch(() => {}).finally(() => this.draining.delete(done));
    this.draining.add(done);
    return done;
  }

  private arm(e: Entry): void {
    if (this.stopped || e.removed) return;
    if (e.timer) clearTimeout(e.timer);
    const wait = Math.max(0, (e.state.nextRun ?? this.now()) - this.now());
    e.timer = setTimeout(
      () => {
        e.timer = null;
        void this.fire(e);
      },
      Math.min(wait * 1000, 2 ** 31 - 1),
    );
    e.timer.unref?.();
  }

  private fire(e: Entry): Promise<void> {
    if (this.stopped || e.removed || e.running) return e.running ?? Promise.resolve(); // never overlap
    e.running = this.runOnce(e).finally(() => {
      e.running = null;
      this.arm(e);
    });
    return e.running;
  }

  private async runOnce(e: Entry): Promise<void> {
    const start = this.now();
    const ac = new AbortController();
    const timeout = (e.job.timeout ?? Math.max(e.job.interval, 60)) * 1000;
    const t = setTimeout(
      () => ac.abort(new Error(`job ${e.job.name} timed out after ${timeout / 1000} s`)),
      timeout,
    );
    e.abort = ac;
    let ok = true;
    let error: string | undefined;
    try {
      await e.job.run(ac.signal);
    } catch (err) {
      ok = false;
      error = (err as Error)?.message ?? String(err);
    }
    clearTimeout(t);
    e.abort = null;
    // a run cut short by stop() is neither a failure nor a run: the restart picks it up
    if (!ok && this.stopped && ac.signal.aborted) return;
    // nor is one cut short because a reload removed the job (its state stays as it was)
    if (e.removed && !ok && ac.signal.aborted) return;
    const end = this.now();
    const st = e.state;
    st.lastRun = start;
    if (ok) {
      st.failures = 0;
      st.lastError = null;
      const j = e.job.interval * (e.job.jitter ?? 0.1) * (this.random() * 2 - 1);
      st.nextRun = Math.max(end, start + e.job.interval + j);
    } else {
      st.failures++;
      st.lastError = error ?? 'failed';
      st.nextRun =
        end + backoffDelay(e.job, st.failures) * (1 + (e.job.jitter ?? 0.1) * this.random());
    }
    try {
      await this.o.store.setJobState({ ...st });
    } catch {
      /* the store reports its own outage */
    }
    this.o.onRun?.({
      job: e.job.name,
      ok,
      start,
      duration: end - start,
      error,
      failures: st.failures,
      nextRun: st.nextRun,
    });
  }

  /** Run a job now (e.g. from the API); resolves when it finished, skips when it is running. */
  async runNow(name: string): Promise<boolean> {
    const e = this.entries.get(name);
    if (!e || e.running) return false;
    if (e.timer) {
      clearTimeout(e.timer);
      e.timer = null;
    }
    await this.fire(e);
    return true;
  }

  states(): (JobState & { running: boolean; interval: number })[] {
    return [...this.entries.values()].map((e) => ({
      ...e.state,
      running: e.running !== null,
      interval: e.job.interval,
    }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const running: Promise<void>[] = [];
    for (const e of this.entries.values()) {
      if (e.timer) {
        clearTimeout(e.timer);
        e.timer = null;
      }
      if (e.abort) e.abort.abort(new Error('agent stopping'));
      if (e.running) running.push(e.running);
    }
    running.push(...this.draining);
    await Promise.allSettled(running);
  }
}
