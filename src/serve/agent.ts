/**
 * The running agent: one store, one scheduler with the measuring jobs, the iperf3 server peers
 * test against, and the metrics the HTTP side exposes.
 */
import { seriesOf } from './feeds.js';
import type { ResolvedConfig } from '../config/index.js';
import { openStore, SpooledStore, type Store } from '../store/index.js';
import { AgentMetrics, dropSeries } from './metrics.js';
import { defaultProbes, type Probes } from './probes/index.js';
import { Scheduler, type Job, type JobEvent } from './scheduler.js';
import type { JobContext } from './jobs/context.js';
import { pingJob } from './jobs/ping.js';
import { pathJob } from './jobs/path.js';
import { iperfJob } from './jobs/iperf.js';
import { mailqJob, mailqSourcesJob } from './jobs/mailq.js';
import { ampJob, capacityJob, ntpJob } from './jobs/checks.js';
import { pruneJob, rollupJob } from './jobs/maintenance.js';
import { probeJob } from './jobs/probe.js';
import { applicable, describeReload, sameInputs, type ReloadResult } from './reload.js';
import { Alerting } from './alerts/index.js';
import { seedCheckMetrics, seedJobMetrics } from './seed-metrics.js';
import { followFleet, type FleetFollower } from '../fleet/agent-follow.js';
import { HostopsError } from '../lib/errors.js';

export interface AgentOptions {
  store?: Store;
  probes?: Partial<Probes>;
  log?: (msg: string) => void;
  now?: () => number;
  /** Seconds over which first runs spread at start (default 3). */
  firstRunSpread?: number;
}

export class Agent {
  readonly metrics: AgentMetrics;
  readonly probes: Probes;
  readonly scheduler: Scheduler;
  /** Built-in alert rules and their notifiers (src/serve/alerts). */
  readonly alerting: Alerting;
  /** The dashboard's URL, for links in notifications (set once the HTTP side listens). */
  baseURL: string;
  /** The scheduled jobs (a reload changes the contents, never the array). */
  readonly jobs: Job[] = [];
  private planNotes: string[] = [];
  private startNotes: string[] = [];
  private iperfServer: { port: number; close(): Promise<void> } | null = null;
  private spoolTimer: NodeJS.Timeout | null = null;
  private fleet: FleetFollower | null = null;
  private current: ResolvedConfig;
  private reloading: Promise<unknown> = Promise.resolve();
  /** Metric clean-up of the last reload, done once the runs it cut into have finished. */
  settled: Promise<void> = Promise.resolve();

  /** The config in effect (after a reload: the new one, less the sections that need a restart). */
  get cfg(): ResolvedConfig {
    return this.current;
  }

  /** Things the operator should know (no Exim queue, iperf3 server not started). */
  get notes(): string[] {
    return [...this.planNotes, ...this.startNotes];
  }

  private constructor(
    cfg: ResolvedConfig,
    readonly store: Store,
    o: AgentOptions,
  ) {
    this.current = cfg;
    this.metrics = new AgentMetrics(cfg.site);
    this.probes = {
      ...defaultProbes({
        mailqSpool: cfg.mailq.spool,
        mailqLog: cfg.mailq.log,
        latency: cfg.ping.prober,
      }),
      ...o.probes,
    };
    const log = o.log ?? ((m: string) => process.stderr.write(`hostops serve: ${m}\n`));
    const now = o.now ?? (() => Date.now() / 1000);
    this.baseURL = `http://${cfg.listen.host.includes(':') ? `[${cfg.listen.host}]` : cfg.listen.host}:${cfg.listen.port}`;
    this.alerting = new Alerting(cfg, {
      registry: this.metrics.registry,
      log,
      now,
      baseURL: () => this.baseURL,
    });
    // the jobs write through the alert rules' window onto the store
    this.ctx = {
      cfg,
      site: cfg.site,
      store: this.alerting.observe(store),
      metrics: this.metrics,
      probes: this.probes,
      now,
      log,
      unprobed: (ts, list) => this.alerting.unprobed(ts, list),
    };
    this.scheduler = new Scheduler({
      store,
      site: cfg.site,
      now,
      firstRunSpread: o.firstRunSpread,
      onRun: (e) => this.onRun(e),
    });
    this.metrics.configLastReloadSuccess.set(now());
  }

  private ctx: JobContext;

  static async create(cfg: ResolvedConfig, o: AgentOptions = {}): Promise<Agent> {
    const store = o.store ?? (await openStore(cfg.store));
    const a = new Agent(cfg, store, o);
    await a.plan();
    return a;
  }

  private async plan(): Promise<void> {
    const { jobs, notes } = await this.jobsFor(this.ctx);
    for (const j of jobs) {
      this.jobs.push(j);
      this.scheduler.add(j);
    }
    this.planNotes = notes;
  }

  /** Decide which jobs this host gets (mail queue only where Exim has a spool). */
  private async jobsFor(ctx: JobContext): Promise<{ jobs: Job[]; notes: string[] }> {
    const { cfg } = ctx;
    const jobs: Job[] = [];
    const notes: string[] = [];
    const add = (j: Job) => {
      if (jobs.some((x) => x.name === j.name))
        throw new HostopsError(
          'SERVE_DUPLICATE_JOB',
          `two jobs named ${j.name} (iperf.peers names must be unique)`,
        );
      jobs.push(j);
    };
    add(pingJob(ctx));
    if (cfg.path.enabled) add(pathJob(ctx));
    for (const p of cfg.iperf.peers) add(iperfJob(ctx, p));
    const mailq =
      cfg.mailq.enabled === 'auto' ? await this.probes.mailq.available() : cfg.mailq.enabled;
    const sourcesJob = mailq ? mailqSourcesJob(ctx) : null;
    if (mailq) add(mailqJob(ctx));
    if (sourcesJob) add(sourcesJob);
    if (!mailq) notes.push('no local Exim queue found: mail queue sampling is off');
    if (cfg.ntp.enabled) add(ntpJob(ctx));
    if (cfg.amp.enabled && cfg.amp.targets.length) add(ampJob(ctx));
    for (const p of cfg.probes) add(probeJob(ctx, p));
    add(capacityJob(ctx));
    add(rollupJob(ctx));
    add(pruneJob(ctx));
    return { jobs, notes };
  }

  /**
   * Apply a new configuration without a restart (what SIGHUP does). `next` is the config or a
   * function that loads it; when loading throws, nothing changes and the error is counted and
   * logged. Jobs whose part of the config is unchanged keep their definition, schedule and state;
   * changed ones are redefined (a run in progress finishes as it started); removed ones stop (a
   * run in progress is aborted); new ones start within the usual first-run spread. Listener,
   * store, site, iperf3 server and probe back-ends stay as they are: the result lists them.
   * Reloads run one at a time; this never throws.
   */
  reload(
    next: ResolvedConfig | (() => ResolvedConfig | Promise<ResolvedConfig>),
    source?: string | null,
  ): Promise<ReloadResult> {
    const run = this.reloading.then(() => this.reloadNow(next, source));
    this.reloading = run.catch(() => {});
    return run;
  }

  private async reloadNow(
    next: ResolvedConfig | (() => ResolvedConfig | Promise<ResolvedConfig>),
    source?: string | null,
  ): Promise<ReloadResult> {
    const m = this.metrics;
    const old = this.current;
    let result: ReloadResult;
    let plan: { jobs: Job[]; notes: string[] };
    let cfg: ResolvedConfig;
    let restart: string[];
    try {
      ({ cfg, restart } = applicable(old, typeof next === 'function' ? await next() : next));
      // build every job first: a config the jobs reject changes nothing
      plan = await this.jobsFor({ ...this.ctx, cfg });
    } catch (e) {
      result = { ok: false, error: (e as Error)?.message ?? String(e) };
      m.configReloads.inc({ result: 'error' });
      m.configLastReloadOk.set(0);
      this.ctx.log(describeReload(result, source));
      return result;
    }
    this.current = cfg;
    this.ctx.cfg = cfg;
    // the jobs read the shared context: rebuild them on it so unchanged ones and new ones agree
    plan = await this.jobsFor(this.ctx).catch(() => plan);
    const oldNames = new Set(this.jobs.map((j) => j.name));
    const newNames = new Set(plan.jobs.map((j) => j.name));
    const added: string[] = [];
    const removed: string[] = [];
    const changed: string[] = [];
    const waits: Promise<void>[] = [];
    for (const j of [...this.jobs]) {
      if (newNames.has(j.name)) continue;
      removed.push(j.name);
      waits.push(this.scheduler.remove(j.name));
    }
    const jobs: Job[] = [];
    for (const j of plan.jobs) {
      if (!oldNames.has(j.name)) {
        added.push(j.name);
        jobs.push(j);
        await this.scheduler.schedule(j);
      } else if (!sameInputs(j.name, old, cfg)) {
        changed.push(j.name);
        jobs.push(j);
        waits.push(this.scheduler.replace(j));
      } else {
        jobs.push(this.jobs.find((x) => x.name === j.name)!); // unchanged: same definition, same timer
      }
    }
    this.jobs.splice(0, this.jobs.length, ...jobs);
    this.planNotes = plan.notes;
    const key = (t: { name: string; host: string }) => `${t.name}=${t.host}`;
    const before = new Set(old.targets.map(key));
    const after = new Set(cfg.targets.map(key));
    result = {
      ok: true,
      added,
      removed,
      changed,
      restartNeeded: restart,
      targetsAdded: [...after].filter((t) => !before.has(t)),
      targetsRemoved: [...before].filter((t) => !after.has(t)),
    };
    m.configReloads.inc({ result: 'ok' });
    m.configLastReloadOk.set(1);
    m.configLastReloadSuccess.set(this.ctx.now());
    this.ctx.log(describeReload(result, source));
    this.alerting.configure(
      cfg,
      this.jobs.map((j) => j.name),
    );
    seedJobMetrics(this, added);
    // series of what is gone, once the runs that might still set them are over
    this.settled = Promise.allSettled(waits)
      .then(() => this.dropGoneSeries())
      .catch((e) => this.ctx.log(`metrics clean-up after reload: ${(e as Error).message}`));
    return result;
  }

  /** Remove the metric series of targets, peers, checks and jobs the running config no longer has. */
  private async dropGoneSeries(): Promise<void> {
    const { cfg, metrics: m } = this;
    const pairs = new Set(cfg.targets.map((t) => `${t.name}\u0000${t.host}`));
    const pathTargets = new Set(
      cfg.path.enabled ? cfg.targets.filter((t) => t.path).map((t) => t.name) : [],
    );
    const peers = new Set(cfg.iperf.peers.map((p) => p.name));
    const tasks = new Set(this.jobs.map((j) => j.name));
    const ampTargets = new Set(cfg.amp.enabled ? cfg.amp.targets : []);
    const perTarget = cfg.targets.length <= cfg.ping.metricsTargets;
    const pingGone = (l: Partial<Record<'target' | 'host', string | number>>) =>
      !perTarget || !pairs.has(`${l.target}\u0000${l.host}`);
    const groups = new Set(cfg.targets.map((t) => t.group ?? '(none)'));
    for (const g of [
      m.pingGroupLoss,
      m.pingGroupMedian,
      m.pingGroupTargets,
      m.pingGroupSent,
      m.pingGroupReceived,
    ])
      await dropSeries(g, ['group'], (l) => !groups.has(String(l.group)));
    for (const g of [m.pingRtt, m.pingMedian, m.pingLoss, m.pingSent, m.pingReceived])
      await dropSeries(g, ['target', 'host'], pingGone);
    await dropSeries(m.pathHops, ['target'], (l) => !pathTargets.has(String(l.target)));
    // series measured through a transit feed carry a feed label: gone when the target no longer lists that feed
    const fed = new Set(
      seriesOf(cfg.targets, cfg.feeds)
        .filter((s) => s.feed)
        .map((s) => `${s.target}\u0000${s.host}\u0000${s.feed}`),
    );
    const fedPath = new Set(
      seriesOf(cfg.path.enabled ? cfg.targets.filter((t) => t.path) : [], cfg.feeds)
        .filter((s) => s.feed)
        .map((s) => `${s.target}\u0000${s.feed}`),
    );
    for (const g of [m.pingRtt, m.pingMedian, m.pingLoss, m.pingSent, m.pingReceived]) {
      await dropSeries(
        g,
        ['target', 'host', 'feed'],
        (l) => !fed.has(`${l.target}\u0000${l.host}\u0000${l.feed}`),
      );
    }
    await dropSeries(
      m.pathHops,
      ['target', 'feed'],
      (l) => !fedPath.has(`${l.target}\u0000${l.feed}`),
    );
    for (const g of [m.throughput, m.retransmits, m.jitter, m.udpLoss])
      await dropSeries(g, ['peer', 'protocol', 'direction'], (l) => !peers.has(String(l.peer)));
    for (const g of [m.ntpUp, m.ntpOffset, m.ntpDelay, m.ntpStratum])
      await dropSeries(g, ['server'], (l) => !cfg.ntp.enabled || l.server !== cfg.ntp.host);
    await dropSeries(m.ampRatio, ['target', 'mode'], (l) => !ampTargets.has(String(l.target)));
    await dropSeries(m.ampExposed, ['target'], (l) => !ampTargets.has(String(l.target)));
    await dropSeries(m.jobRuns, ['task', 'result'], (l) => !tasks.has(String(l.task)));
    for (const g of [m.jobDuration, m.jobLastSuccess, m.jobFailures])
      await dropSeries(g, ['task'], (l) => !tasks.has(String(l.task)));
    if (!tasks.has('mailq'))
      for (const g of [m.mailqMessages, m.mailqFrozen, m.mailqBytes, m.mailqOldest]) g.reset();
    await m.probes.retain(cfg.probes);
  }

  private onRun(e: JobEvent): void {
    const m = this.metrics;
    m.jobRuns.inc({ task: e.job, result: e.ok ? 'success' : 'failure' });
    m.jobDuration.set({ task: e.job }, e.duration);
    m.jobFailures.set({ task: e.job }, e.failures);
    this.alerting.onRun(e);
    if (e.ok) m.jobLastSuccess.set({ task: e.job }, e.start + e.duration);
    else
      this.ctx.log(
        `job ${e.job} failed (${e.failures} in a row, next in ${Math.round(e.nextRun - this.ctx.now())} s): ${e.error}`,
      );
  }

  async start(): Promise<void> {
    if (this.cfg.iperf.server) {
      try {
        this.iperfServer = await this.probes.throughput.server({
          host: this.cfg.iperf.host,
          port: this.cfg.iperf.port,
        });
      } catch (e) {
        this.startNotes.push(`iperf3 server not started: ${(e as Error).message}`);
      }
    }
    await seedCheckMetrics(this);
    await this.alerting.start(this.store);
    await this.scheduler.start();
    seedJobMetrics(this);
    // a site in a fleet inventory measures the targets assigned to it there
    this.fleet = await followFleet(this, (msg) => this.ctx.log(msg)).catch((e) => {
      this.startNotes.push(`fleet assignment not read: ${(e as Error).message}`);
      return null;
    });
    if (this.store instanceof SpooledStore) {
      const s = this.store;
      this.spoolTimer = setInterval(() => {
        const st = s.stats();
        this.metrics.spoolRows.set(st.rows);
        this.metrics.spoolDropped.set(st.dropped);
        if (st.rows) s.flush().catch(() => {});
      }, 5000);
      this.spoolTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.spoolTimer) clearInterval(this.spoolTimer);
    await this.fleet?.stop();
    this.alerting.stop();
    await this.scheduler.stop();
    await this.iperfServer?.close();
    await this.store.close();
  }
}
